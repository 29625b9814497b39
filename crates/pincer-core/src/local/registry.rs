//! The local models this data home knows: every `*.gguf` in `<home>/models/` (where
//! `pincer model pull` and the installer put them) plus files registered where they lie
//! (`pincer model add PATH`), recorded with the default in `<home>/models.toml`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::catalog;
use super::gguf::{self, GgufError, GgufInfo};

/// The folder of downloaded models, inside the data home.
pub const MODELS_DIR: &str = "models";
/// The list of registered models and the default.
pub const REGISTRY_FILE: &str = "models.toml";

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("could not read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: String, message: String },
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error("no local model is called {name:?}; known: {known}")]
    Unknown { name: String, known: String },
    #[error("a different model is already registered as {name:?} ({path})")]
    Taken { name: String, path: String },
}

/// What `models.toml` holds.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    /// The model used when no provider is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(default, rename = "models", skip_serializing_if = "Vec::is_empty")]
    added: Vec<Added>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Added {
    name: String,
    path: PathBuf,
}

/// One local model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalModel {
    /// What users and `config.toml` call it, e.g. `smollm2-135m-instruct`.
    pub name: String,
    pub path: PathBuf,
    /// File size in bytes.
    pub size: u64,
    /// Registered by path, rather than found in `<home>/models/`.
    pub added: bool,
    pub default: bool,
    /// Read from the file's header; `None` when the header could not be read (`problem`).
    #[serde(skip)]
    pub info: Option<GgufInfo>,
    pub context_length: Option<u64>,
    pub architecture: Option<String>,
    /// The chat template defines tool calls.
    pub tools: bool,
    /// Why the file cannot be used, e.g. it is missing or not a GGUF.
    pub problem: Option<String>,
}

/// The registry of one data home.
pub struct Registry {
    home: PathBuf,
}

impl Registry {
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
        }
    }

    pub fn models_dir(&self) -> PathBuf {
        self.home.join(MODELS_DIR)
    }

    fn file_path(&self) -> PathBuf {
        self.home.join(REGISTRY_FILE)
    }

    fn read(&self) -> Result<RegistryFile, RegistryError> {
        let path = self.file_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| RegistryError::Invalid {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RegistryFile::default()),
            Err(source) => Err(RegistryError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    fn write(&self, file: &RegistryFile) -> Result<(), RegistryError> {
        let path = self.file_path();
        let failed = |source| RegistryError::Write {
            path: path.display().to_string(),
            source,
        };
        let text = toml::to_string(file).map_err(|e| failed(std::io::Error::other(e)))?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(failed)?;
        std::fs::rename(&tmp, &path).map_err(failed)
    }

    /// Every known model, the default marked; sorted by name.
    pub fn list(&self) -> Result<Vec<LocalModel>, RegistryError> {
        let file = self.read()?;
        let mut models: Vec<LocalModel> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(self.models_dir()) {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"))
                })
                .collect();
            paths.sort();
            for path in paths {
                models.push(describe(name_for(&path), path, false));
            }
        }
        for added in &file.added {
            if !models.iter().any(|m| m.path == added.path) {
                models.retain(|m| m.name != added.name);
                models.push(describe(added.name.clone(), added.path.clone(), true));
            }
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        let default = file
            .default
            .filter(|name| {
                models
                    .iter()
                    .any(|m| &m.name == name && m.problem.is_none())
            })
            // Without a choice: the smallest usable model answers first.
            .or_else(|| {
                models
                    .iter()
                    .filter(|m| m.problem.is_none())
                    .min_by_key(|m| m.size)
                    .map(|m| m.name.clone())
            });
        for model in &mut models {
            model.default = Some(&model.name) == default.as_ref();
        }
        Ok(models)
    }

    /// The default model, if any usable one exists.
    pub fn default_model(&self) -> Result<Option<LocalModel>, RegistryError> {
        Ok(self.list()?.into_iter().find(|m| m.default))
    }

    /// The model called `name`, or the GGUF file at path `name`.
    pub fn resolve(&self, name: &str) -> Result<LocalModel, RegistryError> {
        let models = self.list()?;
        if let Some(model) = models.iter().find(|m| m.name.eq_ignore_ascii_case(name)) {
            return Ok(model.clone());
        }
        let path = Path::new(name);
        if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"))
        {
            let model = describe(name_for(path), path.to_path_buf(), true);
            return match &model.problem {
                None => Ok(model),
                Some(_) => Err(gguf::read_info(path)
                    .err()
                    .map(RegistryError::Gguf)
                    .unwrap_or(RegistryError::Unknown {
                        name: name.to_owned(),
                        known: known(&models),
                    })),
            };
        }
        Err(RegistryError::Unknown {
            name: name.to_owned(),
            known: known(&models),
        })
    }

    /// Registers the GGUF file at `path` (checked: it must be a readable GGUF) under `name`
    /// (default: from the file name). Returns the model as listed.
    pub fn add(&self, path: &Path, name: Option<&str>) -> Result<LocalModel, RegistryError> {
        let path = path.canonicalize().map_err(|source| RegistryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        gguf::read_info(&path)?;
        let name = name.map(str::to_owned).unwrap_or_else(|| name_for(&path));
        let mut file = self.read()?;
        if let Some(other) = self
            .list()?
            .into_iter()
            .find(|m| m.name == name && m.path != path)
        {
            return Err(RegistryError::Taken {
                name,
                path: other.path.display().to_string(),
            });
        }
        if !file.added.iter().any(|a| a.path == path) {
            file.added.push(Added {
                name: name.clone(),
                path: path.clone(),
            });
            self.write(&file)?;
        }
        self.resolve(&name)
    }

    /// Copies the GGUF file at `path` (checked first) into `<home>/models/`, where the
    /// registry finds it; through a temporary name, so a cut copy is never listed.
    pub fn copy_in(&self, path: &Path) -> Result<LocalModel, RegistryError> {
        gguf::read_info(path)?;
        let dir = self.models_dir();
        let file = path.file_name().ok_or_else(|| RegistryError::Invalid {
            path: path.display().to_string(),
            message: "not a file".to_owned(),
        })?;
        let dest = dir.join(file);
        let write = |source| RegistryError::Write {
            path: dest.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(write)?;
        let tmp = dir.join(format!(".{}.copying", file.to_string_lossy()));
        std::fs::copy(path, &tmp).map_err(write)?;
        std::fs::rename(&tmp, &dest).map_err(write)?;
        self.resolve(&name_for(&dest))
    }

    /// Makes `name` the model used when no provider is configured.
    pub fn set_default(&self, name: &str) -> Result<LocalModel, RegistryError> {
        let model = self.resolve(name)?;
        let mut file = self.read()?;
        file.default = Some(model.name.clone());
        self.write(&file)?;
        Ok(model)
    }
}

fn known(models: &[LocalModel]) -> String {
    if models.is_empty() {
        "none yet (`pincer model pull NAME` or `pincer model add PATH`)".to_owned()
    } else {
        models
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The name a file is known by: the catalog's for a file it lists, else the file name
/// without `.gguf`, lowercased.
pub fn name_for(path: &Path) -> String {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    if let Some(known) = catalog::KNOWN
        .iter()
        .find(|k| k.file.eq_ignore_ascii_case(file))
    {
        return known.name.to_owned();
    }
    let stem = path.file_stem().and_then(|f| f.to_str()).unwrap_or("model");
    stem.to_ascii_lowercase()
}

fn describe(name: String, path: PathBuf, added: bool) -> LocalModel {
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let (info, problem) = match gguf::read_info(&path) {
        Ok(info) => (Some(info), None),
        Err(e) => (None, Some(e.to_string())),
    };
    LocalModel {
        name,
        size,
        added,
        default: false,
        context_length: info.as_ref().and_then(|i| i.context_length),
        architecture: info.as_ref().and_then(|i| i.architecture.clone()),
        tools: info.as_ref().is_some_and(GgufInfo::template_has_tools),
        info,
        problem,
        path,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal valid GGUF header: enough for the registry, not for the runtime.
    pub(crate) fn tiny_gguf(path: &Path, context: u32) {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend(2u64.to_le_bytes());
        for (key, kind, value) in [
            ("general.architecture", 8u32, {
                let mut v = 5u64.to_le_bytes().to_vec();
                v.extend(b"llama");
                v
            }),
            ("llama.context_length", 4u32, context.to_le_bytes().to_vec()),
        ] {
            out.extend((key.len() as u64).to_le_bytes());
            out.extend(key.as_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(value);
        }
        std::fs::write(path, out).unwrap();
    }

    #[test]
    fn models_in_the_folder_and_added_ones_are_listed_with_one_default() {
        let home = tempfile::tempdir().unwrap();
        let registry = Registry::new(home.path());
        assert!(registry.list().unwrap().is_empty());
        assert!(registry.default_model().unwrap().is_none());
        std::fs::create_dir_all(registry.models_dir()).unwrap();
        tiny_gguf(&registry.models_dir().join("Big-Model.gguf"), 4096);
        std::fs::write(registry.models_dir().join("notes.txt"), "x").unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let small = elsewhere.path().join("small.gguf");
        tiny_gguf(&small, 2048);
        std::fs::write(
            &small,
            [std::fs::read(&small).unwrap(), vec![0; 10]].concat(),
        )
        .unwrap();
        // Smaller file on disk is the other one: make "big" bigger.
        let big = registry.models_dir().join("Big-Model.gguf");
        std::fs::write(&big, [std::fs::read(&big).unwrap(), vec![0; 1000]].concat()).unwrap();
        let added = registry.add(&small, None).unwrap();
        assert_eq!(added.name, "small");
        let models = registry.list().unwrap();
        let names: Vec<_> = models
            .iter()
            .map(|m| (m.name.as_str(), m.default))
            .collect();
        assert_eq!(
            names,
            vec![("big-model", false), ("small", true)],
            "smallest is the default"
        );
        assert_eq!(models[1].context_length, Some(2048));
        registry.set_default("big-model").unwrap();
        assert_eq!(registry.default_model().unwrap().unwrap().name, "big-model");
        assert_eq!(
            registry.resolve("SMALL").unwrap().path,
            small.canonicalize().unwrap()
        );
    }

    #[test]
    fn a_file_that_is_not_a_gguf_is_refused_and_unknown_names_list_the_known() {
        let home = tempfile::tempdir().unwrap();
        let registry = Registry::new(home.path());
        let bad = home.path().join("model.gguf");
        std::fs::write(&bad, "<html>not found</html>").unwrap();
        let err = registry.add(&bad, None).unwrap_err();
        assert!(err.to_string().contains("not a GGUF"), "{err}");
        assert!(
            !home.path().join(REGISTRY_FILE).exists(),
            "nothing recorded"
        );
        let err = registry.resolve("qwen").unwrap_err();
        assert!(err.to_string().contains("pincer model pull"), "{err}");
        // A broken file in the folder is listed with its problem, never the default.
        std::fs::create_dir_all(registry.models_dir()).unwrap();
        std::fs::copy(&bad, registry.models_dir().join("broken.gguf")).unwrap();
        let models = registry.list().unwrap();
        assert!(models[0].problem.is_some() && !models[0].default);
    }
}
