//! The gateway: REST resources and one WebSocket carrying the engine's Op/Event protocol,
//! plus the web UI, embedded in the binary. Loopback, authenticated, Origin-checked.

pub mod wire;
