//! Server-sent events from a response body, with transport failures named as cut streams.

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};

use super::ProviderError;

pub(super) fn events(
    provider: &str,
    response: reqwest::Response,
) -> impl Stream<Item = Result<Event, ProviderError>> + Send + 'static {
    let provider = provider.to_owned();
    response.bytes_stream().eventsource().map(move |item| {
        item.map_err(|e| ProviderError::StreamCut {
            provider: provider.clone(),
            detail: e.to_string(),
        })
    })
}
