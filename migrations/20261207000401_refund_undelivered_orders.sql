-- An admin may refund a paid order its practitioner accepted but will not deliver (they
-- are leaving the platform, say): in progress may then move to refunded.
CREATE OR REPLACE FUNCTION order_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_status, to_status) IN (
        ('draft', 'pending_payment'), ('draft', 'paid'), ('draft', 'expired'), ('draft', 'cancelled'),
        ('pending_payment', 'paid'), ('pending_payment', 'payment_failed'), ('pending_payment', 'expired'),
        ('pending_payment', 'cancelled'),
        ('payment_failed', 'pending_payment'), ('payment_failed', 'paid'), ('payment_failed', 'expired'),
        ('payment_failed', 'cancelled'),
        ('expired', 'paid'), ('cancelled', 'paid'),
        ('paid', 'in_progress'), ('in_progress', 'completed'), ('paid', 'completed'), ('paid', 'cancelled'),
        ('paid', 'partially_refunded'), ('paid', 'refunded'), ('in_progress', 'refunded'),
        ('partially_refunded', 'partially_refunded'), ('partially_refunded', 'refunded'))
$$;
