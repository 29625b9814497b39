//! What a person can do about a failed turn, chosen from the failure's kind.

use pincer_core::protocol::FailureKind;
use pincer_core::text::for_terminal_line;

/// A one-line hint for the terminal, or `None` when the message says it all.
pub fn hint(kind: FailureKind) -> Option<&'static str> {
    Some(match kind {
        FailureKind::Auth => {
            "the API key was refused: set a new one (PINCER_API_KEY or the vendor's variable, or Settings in the web UI) and check it with `pincer doctor`"
        }
        FailureKind::RateLimit => "the provider is rate limiting: wait a minute and try again",
        FailureKind::Quota => {
            "the account is out of credit: top it up with the provider, or switch provider"
        }
        FailureKind::NotFound => {
            "the model or endpoint does not exist: check PINCER_MODEL / PINCER_BASE_URL (or the provider in Settings) with `pincer doctor`"
        }
        FailureKind::ContextTooLong => {
            "the conversation is too long for this model: start a new session (without --session), or use a model with a larger context"
        }
        FailureKind::Network => {
            "the provider could not be reached: check the network and PINCER_BASE_URL, then `pincer doctor`"
        }
        FailureKind::Server => "the provider failed on its side: try again later",
        FailureKind::NoProvider => {
            "set PINCER_PROVIDER, PINCER_BASE_URL and PINCER_MODEL (or a vendor key such as OPENAI_API_KEY), or pick a provider in the web UI's Settings"
        }
        FailureKind::BadRequest | FailureKind::Cancelled | FailureKind::Internal => return None,
        _ => return None,
    })
}

/// When a local model answers: which, that nothing leaves the computer, and how to get
/// stronger answers. `None` for remote providers.
pub fn local_model_note(settings: &pincer_core::config::Settings) -> Option<String> {
    let first = settings.providers.first()?;
    (first.dialect == pincer_core::provider::Dialect::Local).then(|| {
        format!(
            "answering with the local model {}, offline on this computer: nothing leaves it. \
             For stronger answers add a provider in Settings or with PINCER_PROVIDER / a vendor \
             key, or run `pincer model pull qwen3-4b` (see `pincer model list`).",
            for_terminal_line(&first.model)
        )
    })
}

/// [`local_model_note`] for `pincer run`: said once per data home, not on every run.
pub fn local_model_note_once(settings: &pincer_core::config::Settings) -> Option<String> {
    let note = local_model_note(settings)?;
    let marker = settings.home.join(".local-model-noted");
    if marker.exists() {
        return None;
    }
    if let Err(e) = std::fs::write(&marker, b"") {
        tracing::debug!(error = %e, "could not record that the local model was mentioned");
    }
    Some(note)
}
