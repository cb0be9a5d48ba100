//! The store of recent log lines: bounded by lines and bytes, one text arena, a compact index.
//!
//! Text lives in fixed-size chunks appended to like a log; each line is an index entry of
//! (timestamp, stream id, chunk, offset, length), and stream names are interned. Appending
//! copies the sanitized text into the newest chunk, so there is no allocation per line,
//! and evicting the oldest lines frees whole chunks from the front.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::sanitize::{sanitize_into, sanitized_len};
use crate::model::{LogEvent, Millis};

/// Size of one text chunk. Big enough that its slack (at most one line) is noise, small
/// enough that freeing one at the front gives memory back promptly.
const CHUNK_BYTES: usize = 64 * 1024;

/// How much the buffer may hold; whichever limit is reached first evicts the oldest lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLimits {
    pub lines: usize,
    /// Bytes of (sanitized) message text.
    pub bytes: usize,
}

impl BufferLimits {
    /// Lines as configured, with room for lines of up to about 1 KiB on average.
    pub fn for_lines(lines: usize) -> Self {
        BufferLimits {
            lines,
            bytes: lines.saturating_mul(1024),
        }
    }
}

/// A number of lines alone: the byte limit follows from it.
impl From<usize> for BufferLimits {
    fn from(lines: usize) -> Self {
        BufferLimits::for_lines(lines)
    }
}

/// One buffered line, borrowed from the buffer: the message is already safe to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub timestamp: Millis,
    /// `<prefix>/<container>/<task-id>` for awslogs streams.
    pub stream: &'a str,
    pub message: &'a str,
}

impl<'a> LogLine<'a> {
    /// The ECS task id: the last segment of the stream name.
    pub fn task_id(&self) -> &'a str {
        stream_task_id(self.stream)
    }

    /// The container name: the segment before the task id.
    pub fn container(&self) -> &'a str {
        stream_container(self.stream)
    }
}

/// The task id of an awslogs stream name (`<prefix>/<container>/<task-id>`).
pub fn stream_task_id(stream: &str) -> &str {
    stream.rsplit('/').next().unwrap_or(stream)
}

/// The container of an awslogs stream name; empty when the name has no such segment.
pub fn stream_container(stream: &str) -> &str {
    let mut segments = stream.rsplit('/');
    segments.next();
    segments.next().unwrap_or("")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    timestamp: Millis,
    /// Id of the chunk holding the text; ids grow by one per chunk and may wrap.
    chunk: u32,
    start: u32,
    len: u32,
    stream: u32,
}

/// Bounded store of the newest log lines, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBuffer {
    limits: BufferLimits,
    index: VecDeque<Entry>,
    chunks: VecDeque<String>,
    /// Id of `chunks[0]`.
    front_chunk: u32,
    streams: Vec<Arc<str>>,
    stream_ids: HashMap<Arc<str>, u32>,
    text_bytes: usize,
    evicted: u64,
}

impl LogBuffer {
    pub fn new(limits: impl Into<BufferLimits>) -> Self {
        let limits = limits.into();
        LogBuffer {
            limits: BufferLimits {
                lines: limits.lines.max(1),
                bytes: limits.bytes.max(1),
            },
            index: VecDeque::new(),
            chunks: VecDeque::new(),
            front_chunk: 0,
            streams: Vec::new(),
            stream_ids: HashMap::new(),
            text_bytes: 0,
            evicted: 0,
        }
    }

    /// Appends an event, sanitized, evicting the oldest lines beyond the limits.
    pub fn push(&mut self, event: &LogEvent) {
        let len = sanitized_len(&event.message);
        let chunk = self.chunk_with_room(len);
        let text = self.chunks.back_mut();
        let Some(text) = text else { return };
        let start = text.len();
        sanitize_into(&event.message, text);
        let stream = self.intern(&event.stream);
        self.index.push_back(Entry {
            timestamp: event.timestamp,
            chunk,
            start: to_u32(start),
            len: to_u32(len),
            stream,
        });
        self.text_bytes += len;
        self.evict_over_limits();
    }

    pub fn extend<'e>(&mut self, events: impl IntoIterator<Item = &'e LogEvent>) {
        for event in events {
            self.push(event);
        }
    }

    /// The id of a chunk with `len` bytes free at its end, starting a new one if needed.
    fn chunk_with_room(&mut self, len: usize) -> u32 {
        let has_room = self
            .chunks
            .back()
            .is_some_and(|c| c.capacity() - c.len() >= len);
        if !has_room {
            if self.index.is_empty() {
                // Nothing refers to the old chunks any more.
                self.front_chunk = self.back_chunk_id().wrapping_add(1);
                self.chunks.clear();
            }
            self.chunks
                .push_back(String::with_capacity(len.max(CHUNK_BYTES)));
        }
        self.back_chunk_id()
    }

    fn back_chunk_id(&self) -> u32 {
        self.front_chunk
            .wrapping_add(to_u32(self.chunks.len()))
            .wrapping_sub(1)
    }

    fn intern(&mut self, stream: &str) -> u32 {
        // Lines come in runs from one stream, so the last one is the likely hit.
        if let Some(last) = self.index.back().map(|e| e.stream)
            && self
                .streams
                .get(last as usize)
                .is_some_and(|s| &**s == stream)
        {
            return last;
        }
        if let Some(&id) = self.stream_ids.get(stream) {
            return id;
        }
        let id = to_u32(self.streams.len());
        let name: Arc<str> = Arc::from(stream);
        self.streams.push(name.clone());
        self.stream_ids.insert(name, id);
        id
    }

    fn evict_over_limits(&mut self) {
        // The newest line stays even if it alone is over the byte limit.
        while self.index.len() > 1
            && (self.index.len() > self.limits.lines || self.text_bytes > self.limits.bytes)
        {
            let Some(old) = self.index.pop_front() else {
                break;
            };
            self.text_bytes -= old.len as usize;
            self.evicted += 1;
        }
        let Some(oldest) = self.index.front().map(|e| e.chunk) else {
            return;
        };
        while self.front_chunk != oldest && self.chunks.len() > 1 {
            self.chunks.pop_front();
            self.front_chunk = self.front_chunk.wrapping_add(1);
        }
    }

    fn line(&self, entry: &Entry) -> LogLine<'_> {
        let chunk = entry.chunk.wrapping_sub(self.front_chunk) as usize;
        let start = entry.start as usize;
        let message = self
            .chunks
            .get(chunk)
            .and_then(|c| c.get(start..start + entry.len as usize))
            .unwrap_or("");
        LogLine {
            timestamp: entry.timestamp,
            stream: self.streams.get(entry.stream as usize).map_or("", |s| s),
            message,
        }
    }

    /// The `i`-th line, oldest first.
    pub fn get(&self, i: usize) -> Option<LogLine<'_>> {
        self.index.get(i).map(|e| self.line(e))
    }

    /// The `n`-th line counting back from the newest (0 is the newest): what a pane drawing
    /// from the bottom up asks for.
    pub fn get_back(&self, n: usize) -> Option<LogLine<'_>> {
        let i = self.index.len().checked_sub(n + 1)?;
        self.get(i)
    }

    /// The line with sequence number `seq` (see [`LogBuffer::first_seq`]), if still held.
    pub fn get_seq(&self, seq: u64) -> Option<LogLine<'_>> {
        let i = seq.checked_sub(self.evicted)?;
        self.get(usize::try_from(i).ok()?)
    }

    /// Every line ever pushed has a sequence number, counted from 0; the oldest held is this.
    /// Views over the buffer (a filter's matches) keep sequence numbers, which stay valid
    /// while lines are evicted.
    pub fn first_seq(&self) -> u64 {
        self.evicted
    }

    /// One past the newest line's sequence number.
    pub fn end_seq(&self) -> u64 {
        self.evicted + self.index.len() as u64
    }

    /// (sequence number, stream id, message) of every line from `seq` on. Stream ids index
    /// [`LogBuffer::streams`], so a scan can decide per stream once instead of per line.
    pub fn scan_from(&self, seq: u64) -> impl Iterator<Item = (u64, usize, &str)> {
        let skip = usize::try_from(seq.saturating_sub(self.evicted))
            .unwrap_or(usize::MAX)
            .min(self.index.len());
        self.index
            .range(skip..)
            .zip(self.evicted + skip as u64..)
            .map(|(entry, seq)| (seq, entry.stream as usize, self.line(entry).message))
    }

    pub fn lines(&self) -> Lines<'_> {
        Lines { buffer: self }
    }

    pub fn iter(&self) -> Iter<'_> {
        self.lines().iter()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The most lines held.
    pub fn capacity(&self) -> usize {
        self.limits.lines
    }

    pub fn limits(&self) -> BufferLimits {
        self.limits
    }

    /// Bytes of message text held.
    pub fn text_bytes(&self) -> usize {
        self.text_bytes
    }

    /// Lines dropped from the front because the buffer was full.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Every stream that has had a line in the buffer, in order of first appearance.
    pub fn streams(&self) -> impl Iterator<Item = &str> {
        self.streams.iter().map(|s| &**s)
    }

    /// Heap and inline bytes the buffer uses, allocator slack aside: what the pane shows.
    pub fn memory_bytes(&self) -> usize {
        let text: usize = self.chunks.iter().map(String::capacity).sum();
        let chunk_list = self.chunks.capacity() * size_of::<String>();
        let index = self.index.capacity() * size_of::<Entry>();
        let names: usize = self.streams.iter().map(|s| s.len() + 16).sum();
        let stream_list = self.streams.capacity() * size_of::<Arc<str>>();
        let stream_map = self.stream_ids.capacity() * (size_of::<(Arc<str>, u32)>() + 1);
        size_of::<Self>() + text + chunk_list + index + names + stream_list + stream_map
    }
}

/// Offsets and lengths fit in u32: a CloudWatch event is at most 256 KiB, and a chunk is
/// never larger than its biggest line or `CHUNK_BYTES`.
fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The buffer's lines as a sequence, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    buffer: &'a LogBuffer,
}

impl<'a> Lines<'a> {
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            buffer: self.buffer,
            front: 0,
            back: self.buffer.len(),
        }
    }

    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<LogLine<'a>> {
        self.buffer.get(i)
    }

    pub fn front(&self) -> Option<LogLine<'a>> {
        self.buffer.get(0)
    }

    pub fn back(&self) -> Option<LogLine<'a>> {
        self.buffer.get_back(0)
    }
}

impl<'a> IntoIterator for Lines<'a> {
    type Item = LogLine<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a LogBuffer {
    type Item = LogLine<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterates lines oldest first; `.rev()` goes from the newest.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    buffer: &'a LogBuffer,
    front: usize,
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LogLine<'a>;

    fn next(&mut self) -> Option<LogLine<'a>> {
        if self.front >= self.back {
            return None;
        }
        let line = self.buffer.get(self.front);
        self.front += 1;
        line
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.back - self.front;
        (left, Some(left))
    }

    fn nth(&mut self, n: usize) -> Option<LogLine<'a>> {
        self.front = self.front.saturating_add(n).min(self.back);
        self.next()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.buffer.get(self.back)
    }

    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        self.back = self.back.saturating_sub(n).max(self.front);
        self.next_back()
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize, stream: &str, message: &str) -> LogEvent {
        LogEvent {
            event_id: i.to_string(),
            timestamp: i as Millis,
            ingestion_time: i as Millis,
            stream: stream.into(),
            message: message.into(),
        }
    }

    #[test]
    fn keeps_the_newest_lines_within_the_line_limit() {
        let mut buffer = LogBuffer::new(BufferLimits::for_lines(3));
        for i in 0..5 {
            buffer.push(&event(i, "ecs/web/t1", &format!("line {i}")));
        }
        let messages: Vec<&str> = buffer.iter().map(|l| l.message).collect();
        assert_eq!(messages, ["line 2", "line 3", "line 4"]);
        assert_eq!(buffer.get_back(0).map(|l| l.message), Some("line 4"));
        assert_eq!(buffer.evicted(), 2);
        assert_eq!((buffer.first_seq(), buffer.end_seq()), (2, 5));
        assert_eq!(buffer.get_seq(3).map(|l| l.message), Some("line 3"));
        assert_eq!(buffer.get_seq(1), None);
    }

    #[test]
    fn lines_are_sanitized_and_streams_split() {
        let mut buffer = LogBuffer::new(BufferLimits::for_lines(10));
        buffer.push(&event(1, "ecs/web/abc123", "GET /\u{1b}[2J 404\n"));
        let line = buffer.lines().back().expect("a line");
        assert_eq!(line.message, "GET /^[[2J 404");
        assert_eq!((line.container(), line.task_id()), ("web", "abc123"));
        assert_eq!(buffer.text_bytes(), line.message.len());
    }

    #[test]
    fn frees_chunks_as_old_lines_go() {
        let mut buffer = LogBuffer::new(BufferLimits {
            lines: 1_000_000,
            bytes: 3 * CHUNK_BYTES,
        });
        let message = "x".repeat(1000);
        for i in 0..1000 {
            buffer.push(&event(i, "s", &message));
        }
        assert!(buffer.text_bytes() <= 3 * CHUNK_BYTES);
        assert!(buffer.chunks.len() <= 5, "{} chunks", buffer.chunks.len());
        assert_eq!(buffer.get_back(0).map(|l| l.message.len()), Some(1000));
    }
}
