//! The `local` provider: a GGUF model run inside the Pincer process (see `local::runtime`).
//! It streams the same events the remote providers do.

use std::path::PathBuf;

use super::{Endpoint, EventStream, PromptProfile, Provider, ProviderError};
use crate::local::gguf::{self, GgufInfo};
use crate::local::options::LocalOptions;
use crate::model::ChatRequest;

pub struct Local {
    name: String,
    model: String,
    #[cfg_attr(not(feature = "local"), allow(dead_code))]
    path: PathBuf,
    #[cfg_attr(not(feature = "local"), allow(dead_code))]
    options: LocalOptions,
    info: Option<GgufInfo>,
}

impl Local {
    pub fn new(endpoint: Endpoint, options: LocalOptions) -> Self {
        let path = PathBuf::from(&endpoint.base_url);
        let info = gguf::read_info(&path).ok();
        Self {
            name: endpoint.name,
            model: endpoint.model,
            path,
            options,
            info,
        }
    }
}

impl Provider for Local {
    fn name(&self) -> &str {
        &self.name
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn profile(&self) -> PromptProfile {
        let trained = self
            .info
            .as_ref()
            .and_then(|i| i.context_length)
            .unwrap_or(u64::from(self.options.context));
        PromptProfile {
            compact: true,
            tools: self.info.as_ref().is_some_and(GgufInfo::template_has_tools),
            window: Some(trained.min(u64::from(self.options.context))),
        }
    }

    #[cfg(feature = "local")]
    fn stream<'a>(&'a self, request: &'a ChatRequest) -> EventStream<'a> {
        use crate::local::runtime::{Job, Runtime};
        use crate::model::StreamEvent;
        let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
        Runtime::get().submit(Job {
            provider: self.name.clone(),
            model: self.path.clone(),
            options: self.options.clone(),
            request: request.clone(),
            events,
        });
        let provider = self.name.clone();
        Box::pin(async_stream::stream! {
            let mut done = false;
            while let Some(item) = rx.recv().await {
                let last = matches!(item, Ok(StreamEvent::Done(_)) | Err(_));
                done |= matches!(item, Ok(StreamEvent::Done(_)));
                yield item;
                if last {
                    return;
                }
            }
            if !done {
                yield Err(ProviderError::StreamCut {
                    provider,
                    detail: "the local model thread stopped before the answer ended".to_owned(),
                });
            }
        })
    }

    #[cfg(not(feature = "local"))]
    fn stream<'a>(&'a self, _request: &'a ChatRequest) -> EventStream<'a> {
        let error = ProviderError::Local {
            provider: self.name.clone(),
            detail: "this build of Pincer has no local model runtime (it was built without \
                     the `local` feature); configure a remote provider or rebuild with it"
                .to_owned(),
        };
        Box::pin(futures::stream::once(async move { Err(error) }))
    }
}
