//! What an uploaded file is, decided from its first bytes (never its name or the type
//! the browser claims), and which files each upload accepts.

/// Where the wizard's upload forms post.
pub const PHOTO_PATH: &str = "/onboarding/photo";
pub const CERTIFICATE_PATH: &str = "/onboarding/certificates";

/// The kinds of file Attune keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    WebP,
    Pdf,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::WebP => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::WebP => "webp",
            FileType::Pdf => "pdf",
        }
    }

    pub fn parse_content_type(raw: &str) -> Option<FileType> {
        [FileType::Jpeg, FileType::Png, FileType::WebP, FileType::Pdf].into_iter().find(|t| t.content_type() == raw)
    }

    pub fn is_image(self) -> bool {
        self != FileType::Pdf
    }
}

/// The file's type from its signature ("magic bytes"), or `None` for anything else
/// (an executable, an SVG, an HTML page, a ZIP) whatever it is called.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(FileType::WebP)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else {
        None
    }
}

/// What an upload slot accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Photo,
    Certificate,
    /// A file attached to a service order by its customer or practitioner.
    OrderDocument,
}

pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;
pub const CERTIFICATE_MAX_BYTES: usize = 10 * 1024 * 1024;
pub const ORDER_DOCUMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most files one order may hold.
pub const ORDER_DOCUMENTS_MAX: i64 = 30;
/// Longest side of a stored photo and of its square thumbnail, in pixels.
pub const PHOTO_MAX_SIDE: u32 = 1600;
pub const THUMB_SIDE: u32 = 256;
/// Images with more pixels than this are refused before decoding (a small file can
/// claim an enormous picture).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side an image may have, however few pixels it holds in all.
pub const MAX_SIDE: u32 = 12_000;
/// The most memory decoding one image may take: 40 megapixels of 8-bit RGBA. A picture
/// within the pixel limit whose format needs more (16 bits a channel, say) is refused.
pub const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 4;

impl Slot {
    pub fn max_bytes(self) -> usize {
        match self {
            Slot::Photo => PHOTO_MAX_BYTES,
            Slot::Certificate => CERTIFICATE_MAX_BYTES,
            Slot::OrderDocument => ORDER_DOCUMENT_MAX_BYTES,
        }
    }

    fn accepts(self, t: FileType) -> bool {
        match self {
            Slot::Photo => t.is_image(),
            Slot::Certificate | Slot::OrderDocument => matches!(t, FileType::Pdf | FileType::Jpeg | FileType::Png),
        }
    }

    fn described(self) -> &'static str {
        match self {
            Slot::Photo => "a JPEG, PNG or WebP image",
            Slot::Certificate | Slot::OrderDocument => "a PDF, JPEG or PNG file",
        }
    }
}

/// Checks an upload before anything is stored: the name carries no path, the size is
/// within the slot's limit, and the content is a type the slot accepts. Each refusal
/// says what to do instead.
pub fn check(slot: Slot, file_name: &str, bytes: &[u8]) -> Result<FileType, String> {
    if file_name.contains(['/', '\\']) || file_name.contains("..") || file_name.chars().any(char::is_control) {
        return Err("The file name must be a plain name, without folders: rename the file and try again.".into());
    }
    if bytes.is_empty() {
        return Err("Choose a file to upload.".into());
    }
    let max = slot.max_bytes();
    if bytes.len() > max {
        return Err(format!(
            "The file is {:.1} MB; the limit is {} MB. Choose a smaller file.",
            bytes.len() as f64 / (1024.0 * 1024.0),
            max / (1024 * 1024)
        ));
    }
    match sniff(bytes) {
        Some(t) if slot.accepts(t) => {
            if !is_complete(t, bytes) {
                return Err(format!(
                    "The {} is damaged or incomplete (perhaps the upload was cut off). Save it again and upload the new copy.",
                    if t == FileType::Pdf { "PDF" } else { "image" }
                ));
            }
            Ok(t)
        }
        Some(_) | None => Err(format!(
            "This file is not {}: its content says otherwise, whatever its name. Choose {}.",
            slot.described(),
            slot.described()
        )),
    }
}

/// Whether the file reaches its format's end marker: a PDF's `%%EOF`, a JPEG's end of
/// image, a PNG's `IEND` chunk, the length a WebP's header declares. A truncated upload
/// does not, even where a lenient decoder would still show part of the picture.
fn is_complete(t: FileType, bytes: &[u8]) -> bool {
    let tail = |n: usize| &bytes[bytes.len().saturating_sub(n)..];
    match t {
        FileType::Pdf => tail(1024).windows(5).any(|w| w == b"%%EOF"),
        FileType::Jpeg => tail(64).windows(2).any(|w| w == [0xFF, 0xD9]),
        FileType::Png => tail(32).windows(4).any(|w| w == b"IEND"),
        FileType::WebP => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            declared.checked_add(8).is_some_and(|total| total <= bytes.len())
        }
    }
}

/// The name a document is offered for download under: the uploaded name's letters,
/// digits, spaces, dots, dashes and underscores (at most 100), with the extension its
/// content has, so a download never carries a misleading or unsafe name.
pub fn download_name(uploaded: &str, t: FileType) -> String {
    let stem = uploaded.rsplit_once('.').map(|(s, _)| s).unwrap_or(uploaded);
    let clean: String =
        stem.chars().filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_')).take(100).collect();
    let clean = clean.trim().trim_matches('.');
    let stem = if clean.is_empty() { "document" } else { clean };
    format!("{stem}.{}", t.extension())
}

/// What a certificate is called: what the practitioner typed, tidied, 2–100 characters.
pub fn certificate_title(raw: &str) -> Result<String, String> {
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = t.chars().count();
    if !(2..=100).contains(&n) {
        return Err("Name the certificate in 2 to 100 characters, e.g. \u{201c}Yoga Alliance RYT 200\u{201d}.".into());
    }
    if t.chars().any(|c| c == '<' || c == '>') {
        return Err("The certificate's name contains characters we cannot accept (< or >).".into());
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\0IEND\xaeB`\x82";
    const WEBP: &[u8] = b"RIFF\x04\0\0\0WEBP";

    #[test]
    fn the_type_comes_from_the_content_not_the_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(sniff(PNG), Some(FileType::Png));
        assert_eq!(sniff(WEBP), Some(FileType::WebP));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(sniff(b"MZ\x90\0"), None, "a Windows executable");
        assert_eq!(sniff(b"\x7fELF"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), None);
        let e = check(Slot::Photo, "me.jpg", b"MZ\x90\0\x03").unwrap_err();
        assert!(e.contains("not a JPEG, PNG or WebP image"), "{e}");
    }

    #[test]
    fn each_slot_takes_its_types_and_sizes() {
        assert_eq!(check(Slot::Photo, "me.png", PNG), Ok(FileType::Png));
        assert!(check(Slot::Photo, "cv.pdf", b"%PDF-1.4\n%%EOF\n").is_err(), "a PDF is not a photo");
        assert_eq!(check(Slot::Certificate, "ryt.pdf", b"%PDF-1.4\nbody\n%%EOF\n"), Ok(FileType::Pdf));
        assert_eq!(check(Slot::Photo, "me.webp", WEBP), Ok(FileType::WebP));
        assert!(check(Slot::Certificate, "ryt.webp", WEBP).is_err());
        assert!(check(Slot::Photo, "cut.png", &PNG[..20]).unwrap_err().contains("damaged or incomplete"));
        assert!(check(Slot::Photo, "cut.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]).unwrap_err().contains("incomplete"));
        assert!(check(Slot::Photo, "cut.webp", b"RIFF\xff\0\0\0WEBPVP8 ").unwrap_err().contains("incomplete"));
        assert!(
            check(Slot::Certificate, "cut.pdf", b"%PDF-1.4\nbody without its end").unwrap_err().contains("incomplete")
        );
        let big = [&PNG[..16], &vec![0u8; PHOTO_MAX_BYTES], &PNG[16..]].concat();
        assert!(check(Slot::Photo, "big.png", &big).unwrap_err().contains("the limit is 5 MB"));
        assert!(check(Slot::Certificate, "big.png", &big).is_ok(), "10 MB for certificates");
        for name in ["../../etc/passwd.png", "C:\\Users\\me.png", "dir/me.png", "a\nb.png"] {
            assert!(check(Slot::Photo, name, PNG).unwrap_err().contains("without folders"), "{name:?}");
        }
        assert_eq!(check(Slot::Photo, "empty.png", b"").unwrap_err(), "Choose a file to upload.");
    }

    #[test]
    fn certificates_are_named_plainly() {
        assert_eq!(certificate_title("  Yoga   Alliance RYT 200 ").unwrap(), "Yoga Alliance RYT 200");
        assert!(certificate_title("x").is_err());
        assert!(certificate_title("<b>RYT</b>").is_err());
    }

    #[test]
    fn a_document_downloads_under_a_safe_name_with_the_extension_of_its_content() {
        assert_eq!(download_name("Year ahead (final).pdf", FileType::Pdf), "Year ahead final.pdf");
        assert_eq!(download_name("report.exe", FileType::Pdf), "report.pdf", "the content decides the extension");
        assert_eq!(download_name("\"; rm -rf /.png", FileType::Png), "rm -rf.png");
        assert_eq!(download_name("...", FileType::Jpeg), "document.jpg");
        assert_eq!(download_name(&"a".repeat(300), FileType::Pdf).len(), 104);
        assert!(check(Slot::OrderDocument, "letter.pdf", b"%PDF-1.7\n%%EOF").is_ok());
        assert!(check(Slot::OrderDocument, "page.html", b"<html><script></script>").is_err());
    }
}
