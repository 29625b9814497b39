//! Argument schemas derived from the tools' argument types.
//!
//! Every tool schema is in the stable head of every request, so it is generated compactly
//! (no `$schema`, `title`, `format`, `$defs`, or `null` alternatives for optional fields)
//! and deterministically: the same type gives the same bytes on every start.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// The compact JSON Schema of `T`, as tools offer it to the model.
pub fn of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.meta_schema = None;
            s.inline_subschemas = true;
        })
        .into_generator();
    let schema: Schema = generator.into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Value::Object(root) = &mut value {
        // The tool's own description says what the arguments are for.
        root.remove("title");
        root.remove("description");
    }
    compact(&mut value);
    value
}

/// Drops what costs prompt tokens without telling the model anything it acts on.
fn compact(value: &mut Value) {
    let Value::Object(object) = value else {
        return;
    };
    object.remove("title");
    object.remove("format");
    // Unsigned integers get `minimum: 0`; serde refuses negatives anyway.
    if object.get("minimum").and_then(Value::as_f64) == Some(0.0) {
        object.remove("minimum");
    }
    // Unknown fields are refused when parsing (with a message saying which); saying so in
    // every schema costs tokens in every request.
    if object
        .get("additionalProperties")
        .is_some_and(Value::is_boolean)
    {
        object.remove("additionalProperties");
    }
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if !required.contains(name) {
                drop_null(property);
            }
        }
    }
    for (_, child) in object.iter_mut() {
        match child {
            Value::Object(_) => compact(child),
            Value::Array(items) => items.iter_mut().for_each(compact),
            _ => {}
        }
    }
}

/// An optional field is simply left out; offering `null` as well only adds bytes.
fn drop_null(property: &mut Value) {
    let Value::Object(object) = property else {
        return;
    };
    if let Some(Value::Array(types)) = object.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        let kept = match <[Value; 1]>::try_from(kept) {
            Ok([single]) => single,
            Err(many) => Value::Array(many),
        };
        object.insert("type".to_owned(), kept);
    }
    if let Some(Value::Array(options)) = object.get("anyOf") {
        let kept: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type") != Some(&Value::String("null".to_owned())))
            .collect();
        if let [single] = kept.as_slice()
            && let Value::Object(inner) = (*single).clone()
        {
            object.remove("anyOf");
            let mut merged: Map<String, Value> = inner;
            merged.extend(std::mem::take(object));
            *object = merged;
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}
