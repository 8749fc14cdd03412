//! Turning untrusted upload bytes into pixels, with limits checked before
//! any pixel is decoded.
//!
//! Photos arrive from the network, so the cheap checks (byte size, format
//! signature, header dimensions) run first: a 1 KB file that claims to be
//! 60,000 × 60,000 pixels is refused from its header alone instead of
//! allocating gigabytes.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// Largest upload accepted, in bytes (10 MiB): above any phone photo, below
/// what a decoder would need to be protected from.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// The largest gRPC message a service that takes photos should accept:
/// twice [`MAX_IMAGE_BYTES`], plus 1 MiB for the other fields. tonic refuses
/// a larger message itself, with `OUT_OF_RANGE` and a message that names
/// neither the field nor the rule; below this limit [`decode`] judges the
/// photo, and an over-size one is refused naming the allowed size. (tonic's
/// default of 4 MB would refuse photos the services promise to take.)
pub const MAX_PHOTO_REQUEST_BYTES: usize = 2 * MAX_IMAGE_BYTES + 1024 * 1024;

/// Longest accepted side in pixels. Detection runs at a few hundred pixels,
/// so larger photos only cost memory and decode time.
pub const MAX_IMAGE_SIDE: u32 = 8_000;

/// Why an upload could not be turned into pixels. Every variant is the
/// sender's fault (a gRPC service maps them to `INVALID_ARGUMENT`), and each
/// message says what to send instead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// No bytes at all.
    #[error("the image is empty: send the bytes of a JPEG, PNG or WebP photo")]
    Empty,
    /// More bytes than [`MAX_IMAGE_BYTES`].
    #[error("the image is {bytes} bytes, more than the {max} allowed: send a smaller or more compressed photo")]
    TooManyBytes {
        /// Size of the upload.
        bytes: usize,
        /// The limit it exceeded.
        max: usize,
    },
    /// The bytes start with no known image signature.
    #[error(
        "the data is not an image (no JPEG, PNG or WebP signature): send a JPEG, PNG or WebP photo"
    )]
    NotAnImage,
    /// A recognised image format that this crate does not accept.
    #[error("{format} images are not accepted: convert the photo to JPEG, PNG or WebP")]
    UnsupportedFormat {
        /// The format's usual file extension, e.g. `gif`.
        format: &'static str,
    },
    /// The header declares a side longer than [`MAX_IMAGE_SIDE`].
    #[error("the image is {width}×{height} pixels, more than {max} on a side: scale it down before sending")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit on either side.
        max: u32,
    },
    /// The header declares a zero width or height.
    #[error(
        "the image header declares {width}×{height} pixels: an image needs at least one pixel"
    )]
    NoPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The signature is right but the header or pixel data is broken.
    #[error("the {format} image is damaged or truncated ({detail}): send the complete file again")]
    Corrupt {
        /// The format's usual file extension, e.g. `jpg`.
        format: &'static str,
        /// What the decoder reported.
        detail: String,
    },
}

/// Decodes a JPEG, PNG or WebP photo into 8-bit RGB pixels, upright.
///
/// Checks, in order: not empty, at most [`MAX_IMAGE_BYTES`], a JPEG, PNG or
/// WebP signature, header dimensions within [`MAX_IMAGE_SIDE`]; only then are
/// pixels decoded. The EXIF orientation that phone cameras write is applied,
/// so a portrait photo is returned portrait and detections land where a
/// person looking at the photo sees the objects. Alpha is dropped.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, DecodeError> {
    let (format, _, _) = checked_header(bytes)?;
    let corrupt = corrupt_in(format);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(side_limits());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

/// Runs the checks [`decode()`] makes before decoding — not empty, at most
/// [`MAX_IMAGE_BYTES`], a JPEG, PNG or WebP signature, header dimensions
/// within [`MAX_IMAGE_SIDE`] — and returns the declared width and height.
///
/// It reads the header only (microseconds, no pixel buffer), so a service
/// can refuse a bad upload before it spends anything else on the request,
/// such as a call to another service. Damage past the header is found by
/// [`decode()`] alone.
pub fn probe(bytes: &[u8]) -> Result<(u32, u32), DecodeError> {
    let (_, width, height) = checked_header(bytes)?;
    Ok((width, height))
}

/// The upload's format and declared size, after every [`probe`] check.
fn checked_header(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), DecodeError> {
    let format = accepted_format(bytes)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(corrupt_in(format))?;
    check_dimensions(width, height)?;
    Ok((format, width, height))
}

/// A decoder error as [`DecodeError::Corrupt`] of `format`.
fn corrupt_in(format: ImageFormat) -> impl Fn(image::ImageError) -> DecodeError + Copy {
    let name = format_name(format);
    move |e| DecodeError::Corrupt {
        format: name,
        detail: e.to_string(),
    }
}

/// The format named by the signature, if it is one this crate accepts.
fn accepted_format(bytes: &[u8]) -> Result<ImageFormat, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(DecodeError::TooManyBytes {
            bytes: bytes.len(),
            max: MAX_IMAGE_BYTES,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::NotAnImage)?;
    match format {
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP => Ok(format),
        other => Err(DecodeError::UnsupportedFormat {
            format: format_name(other),
        }),
    }
}

fn check_dimensions(width: u32, height: u32) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::NoPixels { width, height });
    }
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(DecodeError::TooLarge {
            width,
            height,
            max: MAX_IMAGE_SIDE,
        });
    }
    Ok(())
}

/// The same side limit again, enforced by the decoder itself, in case a
/// file's frames disagree with the header that was checked.
fn side_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits
}

fn format_name(format: ImageFormat) -> &'static str {
    format
        .extensions_str()
        .first()
        .copied()
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::codecs::webp::WebPEncoder;
    use image::{ExtendedColorType, ImageEncoder, Rgb};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let pixels = vec![200u8; (width * height * 3) as usize];
        PngEncoder::new(&mut out)
            .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
            .expect("encode png");
        out
    }

    #[test]
    fn decodes_png_pixels() {
        let mut source = RgbImage::new(3, 2);
        source.put_pixel(2, 1, Rgb([10, 20, 30]));
        let mut bytes = Vec::new();
        PngEncoder::new(&mut bytes)
            .write_image(source.as_raw(), 3, 2, ExtendedColorType::Rgb8)
            .expect("encode png");
        let image = decode(&bytes).expect("decode");
        assert_eq!(image.dimensions(), (3, 2));
        assert_eq!(image.get_pixel(2, 1), &Rgb([10, 20, 30]));
        assert_eq!(image.get_pixel(0, 0), &Rgb([0, 0, 0]));
    }

    #[test]
    fn rejects_empty_input() {
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
    }

    #[test]
    fn rejects_text() {
        assert_eq!(decode(b"hello, world"), Err(DecodeError::NotAnImage));
    }

    #[test]
    fn rejects_gif_by_name() {
        let err = decode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap_err();
        assert_eq!(err, DecodeError::UnsupportedFormat { format: "gif" });
        assert!(err.to_string().contains("gif images are not accepted"));
    }

    #[test]
    fn rejects_oversized_upload_before_looking_inside() {
        let mut bytes = png(1, 1);
        bytes.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::TooManyBytes {
                bytes: MAX_IMAGE_BYTES + 1,
                max: MAX_IMAGE_BYTES
            })
        );
    }

    #[test]
    fn rejects_too_wide_image_from_its_header() {
        let err = decode(&png(MAX_IMAGE_SIDE + 1, 1)).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooLarge {
                width: MAX_IMAGE_SIDE + 1,
                height: 1,
                max: MAX_IMAGE_SIDE
            }
        );
        assert!(err.to_string().contains("8001×1 pixels"));
    }

    #[test]
    fn accepts_image_exactly_at_the_side_limit() {
        let image = decode(&png(1, MAX_IMAGE_SIDE)).expect("decode");
        assert_eq!(image.dimensions(), (1, MAX_IMAGE_SIDE));
    }

    /// CRC-32 (PNG's chunk checksum), so a rewritten header stays valid.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn huge_header_dimensions_are_refused_without_decoding() {
        // A 1×1 PNG whose header claims 60000×60000 pixels: decoding it would
        // need ~10 GB, the header check refuses it before any allocation.
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::TooLarge {
                width: 60_000,
                height: 60_000,
                max: MAX_IMAGE_SIDE
            })
        );
    }

    #[test]
    fn rejects_too_tall_jpeg_from_its_header() {
        let mut bytes = Vec::new();
        JpegEncoder::new(&mut bytes)
            .write_image(&vec![0u8; 3 * 9_000], 1, 9_000, ExtendedColorType::Rgb8)
            .expect("encode jpeg");
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::TooLarge {
                width: 1,
                height: 9_000,
                max: MAX_IMAGE_SIDE
            })
        );
    }

    #[test]
    fn decodes_lossless_webp() {
        let mut source = RgbImage::new(5, 4);
        source.put_pixel(4, 3, Rgb([1, 2, 3]));
        let mut bytes = Vec::new();
        WebPEncoder::new_lossless(&mut bytes)
            .write_image(source.as_raw(), 5, 4, ExtendedColorType::Rgb8)
            .expect("encode webp");
        let image = decode(&bytes).expect("decode");
        assert_eq!(image, source);
    }

    #[test]
    fn applies_exif_rotation_from_phone_cameras() {
        // EXIF (big-endian TIFF) with one tag: Orientation (0x0112) = 6,
        // "rotate 90° clockwise to display", as phones write for portraits.
        let exif = [
            b'M', b'M', 0, 42, 0, 0, 0, 8, // header, first IFD at offset 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation, SHORT, 1, 6
            0, 0, 0, 0, // no next IFD
        ];
        let source = RgbImage::from_fn(8, 2, |x, _| Rgb([(x * 30) as u8, 0, 0]));
        let mut bytes = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut bytes, 100);
        encoder.set_exif_metadata(exif.to_vec()).expect("exif");
        encoder
            .write_image(source.as_raw(), 8, 2, ExtendedColorType::Rgb8)
            .expect("encode jpeg");
        let image = decode(&bytes).expect("decode");
        assert_eq!(image.dimensions(), (2, 8), "portrait after rotation");
        // The left edge (dark) of the stored image is now the top.
        assert!(image.get_pixel(0, 0)[0] < image.get_pixel(0, 7)[0]);
    }

    #[test]
    fn probe_reads_the_header_only() {
        let bytes = png(64, 32);
        assert_eq!(probe(&bytes), Ok((64, 32)));
        // The header is whole, the pixels are not: only decoding sees it.
        let truncated = &bytes[..bytes.len() - 20];
        assert_eq!(probe(truncated), Ok((64, 32)));
        assert!(matches!(
            decode(truncated),
            Err(DecodeError::Corrupt { .. })
        ));
        assert_eq!(probe(&[]), Err(DecodeError::Empty));
        assert_eq!(probe(b"hello"), Err(DecodeError::NotAnImage));
        assert!(matches!(
            probe(&png(MAX_IMAGE_SIDE + 1, 1)),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn truncated_png_is_reported_as_corrupt() {
        let bytes = png(64, 64);
        let err = decode(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(
            matches!(err, DecodeError::Corrupt { format: "png", .. }),
            "{err:?}"
        );
    }
}
