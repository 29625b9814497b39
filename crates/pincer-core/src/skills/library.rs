//! The live set of skills: loaded at start, reloaded when a skill folder, `skills.json` or
//! `config.toml` changes (debounced), and published as immutable catalogs. A turn takes the
//! catalog current when it starts, so a session's index only changes between turns.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::watch;

use super::approvals::{Approvals, ApprovalsError};
use super::bundled;
use super::catalog::{Catalog, LoadInput, Problem, Root, SkillSource, SkillView};
use super::gating::{self, Environment};
use crate::config::{CONFIG_FILE, ProcessEnv, Settings};
use crate::sync::{lock, read, write};

/// How a watch failure starts, so a later successful watch can clear it.
const NOT_WATCHED: &str = "skill folders are not watched for changes";

/// How long file events are gathered before one reload.
const DEBOUNCE: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum SkillsError {
    #[error("there is no skill named `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Approvals(#[from] ApprovalsError),
    #[error("could not watch the skill folders: {0}")]
    Watch(#[from] notify::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Clone)]
pub struct Library {
    inner: Arc<Inner>,
}

struct Inner {
    home: PathBuf,
    roots: RwLock<Vec<Root>>,
    /// Tools the engine has without skills.
    tools: BTreeSet<String>,
    current: watch::Sender<Arc<Catalog>>,
    watcher: Mutex<Option<Debouncer<notify::RecommendedWatcher>>>,
    /// The skill folders the watcher covers (recursively).
    watched: Mutex<BTreeSet<PathBuf>>,
    /// Serializes reloads, so an older one never publishes over a newer one.
    reloading: Mutex<()>,
    /// What went wrong setting up (bundled skills not written out, folders not watched),
    /// shown with every catalog's problems until it is fixed.
    setup: Mutex<Vec<Problem>>,
}

/// The folders skills are read from for `settings`, highest precedence first.
pub fn roots(settings: &Settings) -> Vec<Root> {
    resolve_roots(settings).0
}

/// The roots, and the problem writing out the bundled skills had, if any.
fn resolve_roots(settings: &Settings) -> (Vec<Root>, Option<Problem>) {
    let mut trouble = None;
    let mut roots = vec![
        Root {
            source: SkillSource::Workspace,
            dir: settings.workspace.join("skills"),
        },
        Root {
            source: SkillSource::Home,
            dir: settings.home.join("skills"),
        },
    ];
    if let Some(dir) = &settings.skills.agents_dir {
        roots.push(Root {
            source: SkillSource::Agents,
            dir: dir.clone(),
        });
    }
    for dir in &settings.skills.extra_dirs {
        roots.push(Root {
            source: SkillSource::Extra,
            dir: dir.clone(),
        });
    }
    if settings.skills.bundled {
        match bundled::materialize(&settings.home) {
            Ok(dir) => roots.push(Root {
                source: SkillSource::Bundled,
                dir,
            }),
            Err(e) => {
                let dir = settings.home.join(bundled::DIR);
                tracing::error!(error = %e, "could not write out the bundled skills");
                trouble = Some(Problem {
                    path: dir.to_string_lossy().into_owned(),
                    line: None,
                    message: format!("could not write out the bundled skills: {e}"),
                });
            }
        }
    }
    // Canonical paths, so decisions in skills.json (keyed by folder) mean the same folder
    // whether the CLI, the daemon or the app wrote them, however the home was spelled.
    for root in &mut roots {
        if let Ok(canonical) = root.dir.canonicalize() {
            root.dir = canonical;
        }
    }
    // One folder listed twice (a workspace inside the home, say) counts once, highest.
    let mut seen = BTreeSet::new();
    roots.retain(|root| seen.insert(root.dir.clone()));
    (roots, trouble)
}

impl Library {
    /// Loads the skills for `settings`; `tools` are the names of the engine's other tools.
    pub fn open(settings: &Settings, tools: BTreeSet<String>) -> Self {
        // The data home is ours: its skills folder is where `pincer skills new` writes. The
        // workspace may be the user's project, so its skills/ is only used if it exists.
        let dir = settings.home.join("skills");
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "could not create the skills folder");
        }
        let (roots, trouble) = resolve_roots(settings);
        let inner = Inner {
            home: settings.home.clone(),
            roots: RwLock::new(roots),
            tools,
            current: watch::Sender::new(Arc::new(Catalog::default())),
            watcher: Mutex::new(None),
            watched: Mutex::new(BTreeSet::new()),
            reloading: Mutex::new(()),
            setup: Mutex::new(trouble.into_iter().collect()),
        };
        let library = Self {
            inner: Arc::new(inner),
        };
        library.reload();
        library
    }

    /// The catalog as of now.
    pub fn current(&self) -> Arc<Catalog> {
        self.inner.current.borrow().clone()
    }

    /// Fires whenever a reload changed what the catalog holds.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Catalog>> {
        self.inner.current.subscribe()
    }

    pub fn roots(&self) -> Vec<Root> {
        read(&self.inner.roots).clone()
    }

    pub fn home(&self) -> &Path {
        &self.inner.home
    }

    /// Reads every skill again; publishes the result if anything a user could see changed.
    pub fn reload(&self) -> Arc<Catalog> {
        self.inner.reload()
    }

    /// New settings: other folders maybe. Restarts the watcher if one runs.
    pub fn reconfigure(&self, settings: &Settings) -> Result<(), SkillsError> {
        let (roots, trouble) = resolve_roots(settings);
        *write(&self.inner.roots) = roots;
        *lock(&self.inner.setup) = trouble.into_iter().collect();
        self.reload();
        let watching = lock(&self.inner.watcher).is_some();
        if watching {
            self.watch()?;
        }
        Ok(())
    }

    /// Starts reloading on file changes in the skill folders, `skills.json` and
    /// `config.toml`. A skill folder that does not exist yet is watched for through its
    /// nearest existing parent; once it appears, the watch is set up again to include it.
    pub fn watch(&self) -> Result<(), SkillsError> {
        let watched = self.start_watching();
        let mut setup = lock(&self.inner.setup);
        setup.retain(|p| !p.message.starts_with(NOT_WATCHED));
        if let Err(e) = &watched {
            setup.push(Problem {
                path: self
                    .inner
                    .home
                    .join("skills")
                    .to_string_lossy()
                    .into_owned(),
                line: None,
                message: format!("{NOT_WATCHED}: {e}; use Reload to see changes"),
            });
        }
        drop(setup);
        if watched.is_err() {
            self.reload();
        }
        watched
    }

    fn start_watching(&self) -> Result<(), SkillsError> {
        let weak = Arc::downgrade(&self.inner);
        let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            match result {
                Ok(events) => {
                    if !events.iter().any(|e| inner.is_relevant(&e.path)) {
                        return;
                    }
                    inner.reload();
                    if inner.missing_root_appeared() {
                        // Not from this callback's thread: replacing the watcher drops
                        // the debouncer that runs it.
                        let library = Library { inner };
                        std::thread::spawn(move || {
                            if let Err(e) = library.watch() {
                                tracing::warn!(error = %e, "could not watch a new skill folder");
                            }
                            // What changed while the new watch was being set up.
                            library.reload();
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "skill folder watch error"),
            }
        })?;
        let mut watched = BTreeSet::new();
        for root in read(&self.inner.roots).iter() {
            if root.source == SkillSource::Bundled {
                continue;
            }
            if root.dir.is_dir() {
                debouncer
                    .watcher()
                    .watch(&root.dir, RecursiveMode::Recursive)?;
                watched.insert(root.dir.clone());
            } else if let Some(parent) = root.dir.ancestors().skip(1).find(|a| a.is_dir()) {
                debouncer
                    .watcher()
                    .watch(parent, RecursiveMode::NonRecursive)?;
            }
        }
        debouncer
            .watcher()
            .watch(&self.inner.home, RecursiveMode::NonRecursive)?;
        *lock(&self.inner.watched) = watched;
        *lock(&self.inner.watcher) = Some(debouncer);
        Ok(())
    }

    /// Turns a skill on (recording its current content as reviewed) or off.
    pub fn set_enabled(&self, name: &str, enabled: bool) -> Result<SkillView, SkillsError> {
        let catalog = self.current();
        let skill = catalog
            .get(name)
            .ok_or_else(|| SkillsError::NotFound(name.to_owned()))?;
        let mut approvals = Approvals::load(&self.inner.home)?;
        let decision = approvals.entry(&skill.dir, name);
        decision.enabled = Some(enabled);
        if enabled {
            decision.approved_hash = Some(skill.hash.clone());
            // The owner vouching for the current files of a skill they made.
            if decision.authored {
                decision.authored_hash = Some(skill.hash.clone());
            }
        }
        approvals.save(&self.inner.home)?;
        let catalog = self.reload();
        catalog
            .get(name)
            .map(|s| s.view())
            .ok_or_else(|| SkillsError::NotFound(name.to_owned()))
    }

    /// Records that the user wrote the skill in `dir` as it is now (its tools then run
    /// without asking until its files change).
    pub fn mark_authored(&self, dir: &Path, name: &str) -> Result<(), SkillsError> {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let hash = super::vetting::read_dir(&dir, false).hash;
        let mut approvals = Approvals::load(&self.inner.home)?;
        let decision = approvals.entry(&dir, name);
        decision.authored = true;
        decision.authored_hash = Some(hash);
        approvals.save(&self.inner.home)?;
        self.reload();
        Ok(())
    }
}

impl Inner {
    /// Whether a changed path can change the catalog: anything in or above a skill folder
    /// (one being created), `skills.json` and `config.toml`.
    fn is_relevant(&self, path: &Path) -> bool {
        let in_or_above_a_root = read(&self.roots)
            .iter()
            .any(|root| path.starts_with(&root.dir) || root.dir.starts_with(path));
        in_or_above_a_root
            || (path.parent() == Some(self.home.as_path())
                && path
                    .file_name()
                    .is_some_and(|n| n == super::approvals::FILE || n == CONFIG_FILE))
    }

    /// A skill folder exists now that the watch does not cover.
    fn missing_root_appeared(&self) -> bool {
        let watched = lock(&self.watched);
        read(&self.roots).iter().any(|root| {
            root.source != SkillSource::Bundled && root.dir.is_dir() && !watched.contains(&root.dir)
        })
    }

    fn reload(&self) -> Arc<Catalog> {
        let _serial = lock(&self.reloading);
        let (approvals, unreadable) = match Approvals::load(&self.home) {
            Ok(approvals) => (approvals, None),
            Err(e) => {
                tracing::error!(error = %e, "skill decisions unreadable; treating every skill as undecided");
                (Approvals::default(), Some(e))
            }
        };
        let config = std::fs::read_to_string(self.home.join(CONFIG_FILE))
            .ok()
            .and_then(|text| text.parse::<toml::Value>().ok());
        let here = Environment {
            env: &ProcessEnv,
            os: gating::current_os(),
            config: config.as_ref(),
            tools: &self.tools,
        };
        let roots = read(&self.roots).clone();
        // Edits to the bundled copy are undone before every load.
        let restore = roots
            .iter()
            .any(|root| root.source == SkillSource::Bundled)
            .then(|| bundled::materialize(&self.home).err())
            .flatten();
        let mut catalog = Catalog::load(&LoadInput {
            roots: &roots,
            approvals: &approvals,
            here: &here,
            home: Some(&self.home),
        });
        catalog.problems.extend(lock(&self.setup).iter().cloned());
        if let Some(e) = restore {
            tracing::error!(error = %e, "could not restore the bundled skills");
            catalog.problems.push(Problem {
                path: self.home.join(bundled::DIR).to_string_lossy().into_owned(),
                line: None,
                message: format!("could not restore the bundled skills: {e}"),
            });
        }
        if let Some(e) = unreadable {
            catalog.problems.push(Problem {
                path: self
                    .home
                    .join(super::approvals::FILE)
                    .to_string_lossy()
                    .into_owned(),
                line: None,
                message: e.to_string(),
            });
        }
        let catalog = Arc::new(catalog);
        self.current.send_if_modified(|current| {
            let same = current.views() == catalog.views()
                && current.problems == catalog.problems
                && current.prompt == catalog.prompt;
            if !same {
                tracing::info!(
                    skills = catalog.skills.len(),
                    problems = catalog.problems.len(),
                    "skills loaded"
                );
                *current = Arc::clone(&catalog);
            }
            !same
        });
        self.current.borrow().clone()
    }
}
