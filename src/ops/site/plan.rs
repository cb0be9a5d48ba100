//! What a static-site deploy must do, decided before anything is sent: the build directory
//! read and hashed, each file's content type and cache policy, and the difference with the
//! bucket (upload what is new or changed, delete what is gone with `--delete`), with the
//! CloudFront paths to invalidate. Pure: the S3 listing comes in, a plan goes out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;

use crate::model::StoredObject;

/// Fingerprinted assets never change under their name: cache them for a year.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (HTML above all) is revalidated on every request, so a deploy shows at
/// once and a user never runs a stale app against new assets.
pub const REVALIDATE: &str = "no-cache";
/// CloudFront accepts at most this many paths in invalidations in progress at once.
pub const MAX_INVALIDATION_PATHS: usize = 3000;

/// A build directory that cannot be deployed, found before anything is uploaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error("{}: no such directory; give the build output, e.g. dist/ or build/", .0.display())]
    Missing(PathBuf),
    #[error("{}: is empty; build the site first (npm run build)", .0.display())]
    Empty(PathBuf),
    #[error(
        "{}: has no index.html at its top; give the directory the build wrote it to",
        .0.display()
    )]
    NoIndex(PathBuf),
    #[error("{}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: the file name is not UTF-8, so it cannot be an S3 key; rename it", .0.display())]
    NotUtf8(PathBuf),
}

/// One file of the build, as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalFile {
    /// The S3 key: the path below the build directory, with `/`.
    pub key: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub size: u64,
    /// Lower-case hex MD5: what S3 reports as the ETag of an object put in one part.
    pub md5: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    New,
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    #[serde(flatten)]
    pub file: LocalFile,
    pub why: Why,
}

/// What the deploy will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SitePlan {
    pub uploads: Vec<Upload>,
    /// Keys in the bucket that the build no longer has; deleted only with `--delete`.
    pub deletes: Vec<String>,
    /// Keys the build no longer has, kept because `--delete` was not given.
    pub kept: Vec<String>,
    pub unchanged: usize,
    /// CloudFront paths (`/index.html`), or `/*` past CloudFront's limit.
    pub invalidation: Vec<String>,
}

impl SitePlan {
    pub fn is_empty(&self) -> bool {
        self.uploads.is_empty() && self.deletes.is_empty()
    }

    pub fn upload_bytes(&self) -> u64 {
        self.uploads.iter().map(|u| u.file.size).sum()
    }
}

/// Reads the build directory: every regular file below it, hashed, sorted by key. Hidden
/// files and directories (`.git`, `.DS_Store`) are left out. A missing or empty directory,
/// or one without `index.html`, is refused.
pub fn scan(dir: &Path) -> Result<Vec<LocalFile>, SiteError> {
    if !dir.is_dir() {
        return Err(SiteError::Missing(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    if files.is_empty() {
        return Err(SiteError::Empty(dir.to_path_buf()));
    }
    if !files.iter().any(|f| f.key == "index.html") {
        return Err(SiteError::NoIndex(dir.to_path_buf()));
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(files)
}

fn walk(root: &Path, dir: &Path, into: &mut Vec<LocalFile>) -> Result<(), SiteError> {
    let unreadable = |path: &Path, err: std::io::Error| SiteError::Unreadable {
        path: path.to_path_buf(),
        message: err.to_string(),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| unreadable(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(SiteError::NotUtf8(path));
        };
        if name.starts_with('.') {
            continue;
        }
        // Follows symlinks, as a build tool's output is read by a web server.
        let meta = std::fs::metadata(&path).map_err(|e| unreadable(&path, e))?;
        if meta.is_dir() {
            walk(root, &path, into)?;
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, e))?;
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let key = relative
                .components()
                .map(|c| {
                    c.as_os_str()
                        .to_str()
                        .ok_or_else(|| SiteError::NotUtf8(path.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?
                .join("/");
            into.push(LocalFile {
                content_type: content_type(&key),
                cache_control: cache_control(&key),
                size: meta.len(),
                md5: md5_hex(&bytes),
                key,
                path,
            });
        }
    }
    Ok(())
}

pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .fold(String::with_capacity(32), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The Content-Type S3 serves the file with, from its extension.
pub fn content_type(key: &str) -> &'static str {
    let extension = key
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" | "cjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A year and immutable for fingerprinted assets; revalidate for everything else.
pub fn cache_control(key: &str) -> &'static str {
    if is_fingerprinted(key) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// Whether the file name carries a content hash, as bundlers write them: `main.3f9a1c2b.js`
/// (webpack), `index-BxK3aZ9q.js` (Vite, Rollup), `chunk-5ZQ7X2KD.css` (esbuild). The hash
/// part has at least 8 characters, mixing letters and digits. HTML is never fingerprinted:
/// its name is what users type.
pub fn is_fingerprinted(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return false;
    };
    if matches!(extension.to_ascii_lowercase().as_str(), "html" | "htm") {
        return false;
    }
    let Some(hash) = stem
        .rsplit(['.', '-'])
        .next()
        .filter(|h| h.len() < stem.len())
    else {
        return false;
    };
    (8..=64).contains(&hash.len())
        && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && hash.chars().any(|c| c.is_ascii_digit())
        && hash.chars().any(|c| c.is_ascii_alphabetic())
}

/// The difference between the build and the bucket.
pub fn plan(local: Vec<LocalFile>, remote: &[StoredObject], delete: bool) -> SitePlan {
    let in_bucket: BTreeMap<&str, &StoredObject> =
        remote.iter().map(|o| (o.key.as_str(), o)).collect();
    let mut uploads = Vec::new();
    let mut unchanged = 0;
    for file in local.iter() {
        match in_bucket.get(file.key.as_str()) {
            None => uploads.push(Upload {
                file: file.clone(),
                why: Why::New,
            }),
            // An ETag that is not a plain MD5 (a multipart or KMS-encrypted object) cannot
            // be compared: the file is sent again.
            Some(object) if object.size == file.size && object.etag == file.md5 => unchanged += 1,
            Some(_) => uploads.push(Upload {
                file: file.clone(),
                why: Why::Changed,
            }),
        }
    }
    let built: std::collections::BTreeSet<&str> = local.iter().map(|f| f.key.as_str()).collect();
    let gone: Vec<String> = remote
        .iter()
        .filter(|o| !built.contains(o.key.as_str()))
        .map(|o| o.key.clone())
        .collect();
    let (deletes, kept) = if delete {
        (gone, Vec::new())
    } else {
        (Vec::new(), gone)
    };
    let invalidation = invalidation(&uploads, &deletes);
    SitePlan {
        uploads,
        deletes,
        kept,
        unchanged,
        invalidation,
    }
}

/// What CloudFront may hold a stale copy of: changed and deleted files. A new file was never
/// cached. `index.html` is also cached as `/`, the default root object's URL, so both go.
fn invalidation(uploads: &[Upload], deletes: &[String]) -> Vec<String> {
    let mut paths: Vec<String> = uploads
        .iter()
        .filter(|u| u.why == Why::Changed)
        .map(|u| u.file.key.as_str())
        .chain(deletes.iter().map(String::as_str))
        .flat_map(|key| {
            let path = format!("/{key}");
            let root = key
                .strip_suffix("index.html")
                .filter(|dir| dir.is_empty() || dir.ends_with('/'))
                .map(|dir| format!("/{dir}"));
            std::iter::once(path).chain(root)
        })
        .collect();
    paths.sort();
    paths.dedup();
    if paths.len() > MAX_INVALIDATION_PATHS {
        return vec!["/*".to_string()];
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(key: &str, body: &str) -> LocalFile {
        LocalFile {
            key: key.into(),
            path: PathBuf::from(key),
            size: body.len() as u64,
            md5: md5_hex(body.as_bytes()),
            content_type: content_type(key),
            cache_control: cache_control(key),
        }
    }

    fn object(key: &str, body: &str) -> StoredObject {
        StoredObject {
            key: key.into(),
            size: body.len() as u64,
            etag: md5_hex(body.as_bytes()),
            last_modified: None,
        }
    }

    #[test]
    fn bundler_hashes_are_fingerprints_and_plain_names_are_not() {
        for key in [
            "assets/index-BxK3aZ9q.js",
            "static/js/main.3f9a1c2b.js",
            "chunk-5ZQ7X2KD.css",
            "assets/logo.a1b2c3d4e5.svg",
        ] {
            assert!(is_fingerprinted(key), "{key}");
            assert_eq!(cache_control(key), IMMUTABLE);
        }
        for key in [
            "index.html",
            "favicon.ico",
            "robots.txt",
            "assets/bootstrap.min.js",
            "manifest.webmanifest",
            "about/index-12345678ab.html",
            "vendor-abcdefgh.js",
        ] {
            assert!(!is_fingerprinted(key), "{key}");
            assert_eq!(cache_control(key), REVALIDATE);
        }
    }

    #[test]
    fn the_md5_is_the_etag_s3_gives() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn only_what_changed_is_sent_and_invalidated() {
        let local = vec![
            file("index.html", "<h1>v2</h1>"),
            file("assets/index-BxK3aZ9q.js", "new js"),
            file("robots.txt", "User-agent: *"),
        ];
        let remote = vec![
            object("index.html", "<h1>v1</h1>"),
            object("assets/index-Aa11Bb22.js", "old js"),
            object("robots.txt", "User-agent: *"),
        ];
        let kept = plan(local.clone(), &remote, false);
        let sent: Vec<(&str, Why)> = kept
            .uploads
            .iter()
            .map(|u| (u.file.key.as_str(), u.why))
            .collect();
        assert_eq!(
            sent,
            vec![
                ("index.html", Why::Changed),
                ("assets/index-BxK3aZ9q.js", Why::New)
            ]
        );
        assert_eq!(kept.unchanged, 1);
        assert_eq!(kept.deletes, Vec::<String>::new());
        assert_eq!(kept.kept, vec!["assets/index-Aa11Bb22.js".to_string()]);
        assert_eq!(kept.invalidation, vec!["/", "/index.html"]);

        let deleted = plan(local, &remote, true);
        assert_eq!(
            deleted.deletes,
            vec!["assets/index-Aa11Bb22.js".to_string()]
        );
        assert_eq!(
            deleted.invalidation,
            vec!["/", "/assets/index-Aa11Bb22.js", "/index.html"]
        );
    }

    #[test]
    fn a_multipart_etag_is_not_trusted() {
        let local = vec![file("index.html", "same")];
        let mut remote = vec![object("index.html", "same")];
        remote[0].etag = format!("{}-2", remote[0].etag);
        assert_eq!(plan(local, &remote, false).uploads.len(), 1);
    }

    #[test]
    fn a_directory_without_index_html_or_with_nothing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            scan(&dir.path().join("nope")),
            Err(SiteError::Missing(_))
        ));
        assert!(matches!(scan(dir.path()), Err(SiteError::Empty(_))));
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("assets/app-1a2b3c4d.js"), "x").unwrap();
        assert!(matches!(scan(dir.path()), Err(SiteError::NoIndex(_))));
        std::fs::write(dir.path().join("index.html"), "<html>").unwrap();
        std::fs::write(dir.path().join(".DS_Store"), "junk").unwrap();
        let files = scan(dir.path()).unwrap();
        let keys: Vec<&str> = files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, vec!["assets/app-1a2b3c4d.js", "index.html"]);
        assert_eq!(files[1].content_type, "text/html; charset=utf-8");
        assert_eq!(files[0].cache_control, IMMUTABLE);
    }

    proptest! {
        /// Whatever the bucket holds: a second deploy of the same build sends nothing, and
        /// every key ends up either sent, unchanged, deleted or kept, exactly once.
        #[test]
        fn a_plan_accounts_for_every_key_once_and_converges(
            build in proptest::collection::btree_map("[a-z]{1,6}(/[a-z]{1,6})?\\.(html|js|css)", "[a-z]{0,8}", 1..20),
            bucket in proptest::collection::btree_map("[a-z]{1,6}(/[a-z]{1,6})?\\.(html|js|css)", "[a-z]{0,8}", 0..20),
            delete in any::<bool>(),
        ) {
            let local: Vec<LocalFile> = build.iter().map(|(k, v)| file(k, v)).collect();
            let remote: Vec<StoredObject> = bucket.iter().map(|(k, v)| object(k, v)).collect();
            let first = plan(local.clone(), &remote, delete);
            prop_assert_eq!(first.uploads.len() + first.unchanged, local.len());
            let gone = remote.iter().filter(|o| !build.contains_key(&o.key)).count();
            prop_assert_eq!(first.deletes.len() + first.kept.len(), gone);
            // The bucket after the deploy.
            let mut after: BTreeMap<String, String> = bucket.clone();
            for key in &first.deletes {
                after.remove(key);
            }
            for (k, v) in &build {
                after.insert(k.clone(), v.clone());
            }
            let after: Vec<StoredObject> = after.iter().map(|(k, v)| object(k, v)).collect();
            let second = plan(local, &after, delete);
            prop_assert!(second.is_empty());
            prop_assert!(second.invalidation.is_empty());
        }
    }
}
