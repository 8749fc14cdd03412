//! The multipart form of the photo endpoints (desk, hand, face): the photo
//! and the optional birth fields.

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::Multipart;
use axum::http::StatusCode;

use crate::request::invalid;
use crate::ApiError;

/// The photo services' limit (10 MiB): a larger photo is refused by them
/// anyway, so the gateway does not forward it.
const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// Largest upload: a 10 MB photo and the form's other fields.
pub(crate) const MAX_UPLOAD_BYTES: usize = MAX_PHOTO_BYTES + 64 * 1024;

/// The names the photo's field may have, in the order they are looked for.
const IMAGE_FIELDS: [&str; 2] = ["image", "file"];

/// A photo form: `image` (or `file`), and optional `solar_date`,
/// `solar_time`, `gender`, `use_bazi` (`true` / `false`; default: true when
/// a birth date is given).
#[derive(Debug, Default)]
pub(crate) struct PhotoForm {
    pub image: Vec<u8>,
    pub solar_date: String,
    pub solar_time: String,
    pub gender: String,
    pub use_bazi: bool,
}

/// Reads the form of an upload of `what` ("the desk photo", …).
pub(crate) async fn read(
    form: Result<Multipart, MultipartRejection>,
    what: &str,
) -> Result<PhotoForm, ApiError> {
    let mut form = form.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "{rejection}; send multipart/form-data with {what} as the field \"image\""
        ))
    })?;
    let unreadable = |e: MultipartError| {
        // Only the photo can make a form this large, so the field to fix is
        // the image.
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return invalid(
                "image",
                format!(
                    "image: the upload is larger than the {MAX_UPLOAD_BYTES} bytes a form may have; send a photo of at most 10 MB ({MAX_PHOTO_BYTES} bytes)"
                ),
            );
        }
        ApiError::BadRequest(format!(
            "the multipart form is unreadable ({e}); send multipart/form-data with an image field of at most 10 MB"
        ))
    };
    let mut photo = PhotoForm::default();
    let mut image = None;
    let mut use_bazi = None;
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if IMAGE_FIELDS.contains(&name.as_str()) {
            image = Some(field.bytes().await.map_err(unreadable)?.to_vec());
            continue;
        }
        let text = field.text().await.map_err(unreadable)?;
        match name.as_str() {
            "solar_date" => photo.solar_date = text,
            "solar_time" => photo.solar_time = text,
            "gender" => photo.gender = text,
            "use_bazi" => {
                use_bazi = Some(match text.trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    other => {
                        return Err(invalid(
                            "use_bazi",
                            format!("use_bazi: {other:?} is not true or false"),
                        ))
                    }
                })
            }
            // Unknown fields are ignored, as browsers send extra ones.
            _ => {}
        }
    }
    photo.image = image.ok_or_else(|| {
        invalid(
            "image",
            format!(
                "image: is missing; send {what} (JPEG, PNG or WebP) as the form field \"image\""
            ),
        )
    })?;
    photo.use_bazi = use_bazi.unwrap_or(!photo.solar_date.is_empty());
    Ok(photo)
}
