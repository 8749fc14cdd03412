//! gRPC error statuses whose message stays short.
//!
//! A status message travels in the `grpc-message` header (percent-encoded).
//! A service that quotes bad input in it — `solar_date: "<17 KB>" is not a
//! date` — would send the input back at full length, in a header that
//! clients and proxies limit. The helpers here cap the message.

use tonic::{Code, Status};

/// The most bytes of a status message that [`status`] and
/// [`invalid_argument`] keep (1 KiB, before percent-encoding).
pub const MAX_STATUS_MESSAGE_BYTES: usize = 1024;

/// `message`, cut to at most [`MAX_STATUS_MESSAGE_BYTES`] bytes on a
/// character boundary, ending in `"… (N bytes, truncated)"` when it was cut
/// (N being the original length). A short message is returned as it is.
pub fn cap_status_message(message: impl Into<String>) -> String {
    let mut message = message.into();
    if message.len() <= MAX_STATUS_MESSAGE_BYTES {
        return message;
    }
    let marker = format!("… ({} bytes, truncated)", message.len());
    let mut end = MAX_STATUS_MESSAGE_BYTES - marker.len();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(&marker);
    message
}

/// A status with `code` and `message`, capped by [`cap_status_message`].
pub fn status(code: Code, message: impl Into<String>) -> Status {
    Status::new(code, cap_status_message(message))
}

/// `INVALID_ARGUMENT` with `message`, capped by [`cap_status_message`]. By
/// the services' convention the message starts with the offending field's
/// name, `"<field>: <reason>"` (the gateway reports that field); the cap
/// keeps that start.
pub fn invalid_argument(message: impl Into<String>) -> Status {
    status(Code::InvalidArgument, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_messages_are_kept() {
        let exact = "x".repeat(MAX_STATUS_MESSAGE_BYTES);
        assert_eq!(cap_status_message(exact.clone()), exact);
        let status = invalid_argument("gender: \"x\" is not a gender");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "gender: \"x\" is not a gender");
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        for filler in ["x", "日", "😀", "é"] {
            for extra in 0..4 {
                let long = format!(
                    "solar_date: \"{}{}\" is not a date",
                    "x".repeat(extra),
                    filler.repeat(17 * 1024 / filler.len())
                );
                let capped = cap_status_message(long.clone());
                assert!(capped.len() <= MAX_STATUS_MESSAGE_BYTES, "{}", capped.len());
                assert!(
                    capped.len() > MAX_STATUS_MESSAGE_BYTES - 4,
                    "{}",
                    capped.len()
                );
                assert!(capped.starts_with("solar_date: \""), "{capped}");
                assert!(
                    capped.ends_with(&format!("… ({} bytes, truncated)", long.len())),
                    "{capped}"
                );
            }
        }
        let status = status(Code::NotFound, "y".repeat(100_000));
        assert_eq!(status.code(), Code::NotFound);
        assert!(status.message().len() <= MAX_STATUS_MESSAGE_BYTES);
    }
}
