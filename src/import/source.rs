//! Where a data set is read from: a folder, a GroupLens zip, or bytes generated in memory.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use super::ImportError;

/// The four MovieLens files, in the order they are loaded (movies first: the rest refer to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataFile {
    Movies,
    Links,
    Ratings,
    Tags,
}

impl DataFile {
    pub const LOAD_ORDER: [DataFile; 4] = [DataFile::Movies, DataFile::Links, DataFile::Ratings, DataFile::Tags];

    pub fn name(self) -> &'static str {
        match self {
            DataFile::Movies => "movies.csv",
            DataFile::Links => "links.csv",
            DataFile::Ratings => "ratings.csv",
            DataFile::Tags => "tags.csv",
        }
    }

    /// The header MovieLens writes, which the import requires exactly.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            DataFile::Movies => &["movieId", "title", "genres"],
            DataFile::Links => &["movieId", "imdbId", "tmdbId"],
            DataFile::Ratings => &["userId", "movieId", "rating", "timestamp"],
            DataFile::Tags => &["userId", "movieId", "tag", "timestamp"],
        }
    }
}

/// How a load is recorded in `data_imports.source_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Demo,
    Directory,
    Zip,
    Download,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Demo => "demo",
            SourceKind::Directory => "directory",
            SourceKind::Zip => "zip",
            SourceKind::Download => "download",
        }
    }
}

/// One file opened for reading, with its size in bytes when known (for the progress bar).
pub struct OpenedFile<'a> {
    pub reader: Box<dyn Read + 'a>,
    pub size: Option<u64>,
}

/// A MovieLens data set that can be opened file by file.
pub trait DatasetSource: Send {
    fn kind(&self) -> SourceKind;
    /// What `data_imports.source` records: a path, a data set name, a seed.
    fn describe(&self) -> String;
    fn open(&mut self, file: DataFile) -> Result<OpenedFile<'_>, ImportError>;
}

/// Opens a folder or a `.zip` file, whichever `path` is.
pub fn open_path(path: &Path) -> Result<Box<dyn DatasetSource>, ImportError> {
    if path.is_dir() {
        return Ok(Box::new(DirectorySource { dir: path.to_path_buf() }));
    }
    if path.is_file() {
        return Ok(Box::new(ZipSource::open(path, SourceKind::Zip, path.display().to_string())?));
    }
    Err(ImportError::file(path.display().to_string(), "no such folder or .zip file"))
}

pub struct DirectorySource {
    dir: PathBuf,
}

impl DatasetSource for DirectorySource {
    fn kind(&self) -> SourceKind {
        SourceKind::Directory
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn open(&mut self, file: DataFile) -> Result<OpenedFile<'_>, ImportError> {
        let path = self.dir.join(file.name());
        let opened = File::open(&path).map_err(|err| ImportError::file(path.display().to_string(), err.to_string()))?;
        let size = opened.metadata().ok().map(|metadata| metadata.len());
        Ok(OpenedFile { reader: Box::new(BufReader::with_capacity(1 << 16, opened)), size })
    }
}

/// A zip as GroupLens ships it: the CSV files inside one top folder such as `ml-latest-small/`
/// (files at the top level are accepted too).
pub struct ZipSource {
    archive: zip::ZipArchive<BufReader<File>>,
    folder: String,
    kind: SourceKind,
    description: String,
}

impl ZipSource {
    pub fn open(path: &Path, kind: SourceKind, description: String) -> Result<Self, ImportError> {
        let zip_error = |err: &dyn std::fmt::Display| {
            ImportError::file(path.display().to_string(), format!("not a readable zip: {err}"))
        };
        let file = File::open(path).map_err(|err| ImportError::file(path.display().to_string(), err.to_string()))?;
        let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|err| zip_error(&err))?;
        let movies = archive
            .file_names()
            .filter(|name| name.ends_with(DataFile::Movies.name()))
            .filter(|name| name.matches('/').count() <= 1)
            .min_by_key(|name| name.len())
            .ok_or_else(|| ImportError::file(path.display().to_string(), "the zip holds no movies.csv"))?;
        let folder = movies.trim_end_matches(DataFile::Movies.name()).to_string();
        Ok(Self { archive, folder, kind, description })
    }
}

impl DatasetSource for ZipSource {
    fn kind(&self) -> SourceKind {
        self.kind
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn open(&mut self, file: DataFile) -> Result<OpenedFile<'_>, ImportError> {
        let name = format!("{}{}", self.folder, file.name());
        let entry =
            self.archive.by_name(&name).map_err(|err| ImportError::file(name.clone(), format!("in the zip: {err}")))?;
        let size = Some(entry.size());
        Ok(OpenedFile { reader: Box::new(entry), size })
    }
}

/// A data set held in memory: the generated demo data.
pub struct MemorySource {
    pub description: String,
    pub movies: Vec<u8>,
    pub links: Vec<u8>,
    pub ratings: Vec<u8>,
    pub tags: Vec<u8>,
}

impl DatasetSource for MemorySource {
    fn kind(&self) -> SourceKind {
        SourceKind::Demo
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn open(&mut self, file: DataFile) -> Result<OpenedFile<'_>, ImportError> {
        let bytes = match file {
            DataFile::Movies => &self.movies,
            DataFile::Links => &self.links,
            DataFile::Ratings => &self.ratings,
            DataFile::Tags => &self.tags,
        };
        Ok(OpenedFile { reader: Box::new(Cursor::new(bytes.as_slice())), size: Some(bytes.len() as u64) })
    }
}
