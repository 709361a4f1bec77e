//! Reading MovieLens CSV files row by row, with errors that name the file, the line and the problem.

use std::io::Read;

use super::cancel::Cancel;
use super::record_limit::{self, RecordLimit, MAX_RECORD_BYTES};
use super::source::DataFile;
use super::ImportError;

/// A streaming reader over one MovieLens CSV file. Memory stays flat whatever the file size: one
/// record buffer is reused for every row, and no record may grow past [`MAX_RECORD_BYTES`].
pub struct CsvRows<'a> {
    file: DataFile,
    reader: csv::Reader<RecordLimit<Box<dyn Read + 'a>>>,
    record: csv::ByteRecord,
    cancel: Cancel,
}

impl<'a> CsvRows<'a> {
    /// Starts reading and checks that the header is exactly the one MovieLens writes.
    pub fn new(file: DataFile, input: Box<dyn Read + 'a>, cancel: Cancel) -> Result<Self, ImportError> {
        // `flexible` lets rows of the wrong width reach `next`, which names the line; the csv
        // crate also strips a UTF-8 byte order mark and accepts CRLF line endings.
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(RecordLimit::new(input));
        let expected = file.columns();
        let header = reader.byte_headers().map_err(|err| csv_error(file, 1, err))?;
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(ImportError::invalid(file, 1, format!("missing header; expected '{}'", expected.join(","))));
        }
        if header.iter().ne(expected.iter().map(|column| column.as_bytes())) {
            let found = header.iter().map(String::from_utf8_lossy).collect::<Vec<_>>().join(",");
            return Err(ImportError::invalid(
                file,
                1,
                format!("header is '{found}'; expected '{}'", expected.join(",")),
            ));
        }
        let mut rows = Self { file, reader, record: csv::ByteRecord::new(), cancel };
        rows.allow_next_record();
        Ok(rows)
    }

    /// Lets the reader take up to [`MAX_RECORD_BYTES`] past the end of the record just read.
    fn allow_next_record(&mut self) {
        let start = self.reader.position().byte();
        self.reader.get_mut().allow_until(start + MAX_RECORD_BYTES);
    }

    /// The next data row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, ImportError> {
        self.cancel.check()?;
        self.allow_next_record();
        let line = self.reader.position().line();
        let more = self.reader.read_byte_record(&mut self.record).map_err(|err| csv_error(self.file, line, err))?;
        if !more {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, |position| position.line());
        let row = Row { file: self.file, line, record: &self.record };
        let expected = self.file.columns().len();
        if row.record.len() != expected {
            return Err(row.error(format!(
                "expected {expected} fields ({}), found {}",
                self.file.columns().join(","),
                row.record.len()
            )));
        }
        Ok(Some(row))
    }
}

/// `line` is where the record being read began, for errors that carry no position of their own.
fn csv_error(file: DataFile, line: u64, err: csv::Error) -> ImportError {
    let line = err.position().map_or(line, |position| position.line());
    match err.into_kind() {
        csv::ErrorKind::Io(err) if record_limit::is_limit_error(&err) => ImportError::invalid(
            file,
            line,
            format!("a record longer than {} MiB (a stray quote, or not a MovieLens file)", MAX_RECORD_BYTES >> 20),
        ),
        csv::ErrorKind::Io(err) => ImportError::file(file.name(), format!("read failed: {err}")),
        kind => ImportError::invalid(file, line, format!("malformed CSV: {kind:?}")),
    }
}

/// One data row, with typed accessors whose errors carry the file and line.
pub struct Row<'r> {
    file: DataFile,
    line: u64,
    record: &'r csv::ByteRecord,
}

impl<'r> Row<'r> {
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn error(&self, problem: impl Into<String>) -> ImportError {
        ImportError::invalid(self.file, self.line, problem.into())
    }

    fn column(&self, index: usize) -> &'static str {
        self.file.columns()[index]
    }

    /// The field as UTF-8 text, exactly as written (quotes removed, nothing trimmed).
    pub fn text(&self, index: usize) -> Result<&'r str, ImportError> {
        std::str::from_utf8(&self.record[index])
            .map_err(|_| self.error(format!("{} is not valid UTF-8", self.column(index))))
    }

    /// A whole number such as an id or a timestamp.
    pub fn integer(&self, index: usize) -> Result<i64, ImportError> {
        let text = self.text(index)?;
        text.parse().map_err(|_| self.error(format!("{} must be a whole number, found '{text}'", self.column(index))))
    }

    /// A positive id (`movieId`, `userId`).
    pub fn id(&self, index: usize) -> Result<i64, ImportError> {
        let id = self.integer(index)?;
        if id <= 0 {
            return Err(self.error(format!("{} must be positive, found {id}", self.column(index))));
        }
        Ok(id)
    }

    /// A rating: half stars from 0.5 to 5.0.
    pub fn rating(&self, index: usize) -> Result<f64, ImportError> {
        let text = self.text(index)?;
        let value: f64 = text.parse().map_err(|_| self.error(format!("rating must be a number, found '{text}'")))?;
        let half_stars = value * 2.0;
        if !(1.0..=10.0).contains(&half_stars) || half_stars.fract() != 0.0 {
            return Err(self.error(format!("rating must be a half star from 0.5 to 5.0, found '{text}'")));
        }
        Ok(value)
    }
}
