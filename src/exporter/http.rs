//! A small HTTP/1.1 server for the exporter over std's TcpListener: GET/HEAD of `/metrics`
//! and `/healthz`, one request per connection (`Connection: close`), a bounded number of
//! connections, and deadlines so a slow client holds nothing for long: one for reading the
//! whole request head, one for writing the whole answer (a client that reads a byte now and
//! then does not get a fresh timeout per write). Every connection has its own thread, so a
//! silent or trickling client never delays another's scrape, only takes one of the slots
//! until its deadline.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::metrics::Format;

/// Longest request head read; a scrape's is a few hundred bytes.
const MAX_HEAD: usize = 8 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// For reading the whole request, and for writing the whole answer, each.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 16,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Metrics { format: Format, head: bool },
    Health { head: bool },
}

/// An answer that is not the metrics.
#[derive(Debug, PartialEq, Eq)]
pub struct Reject(pub u16, pub &'static str);

/// Parse a request head (up to the blank line).
pub fn parse(head: &[u8]) -> Result<Request, Reject> {
    let bad = Reject(400, "Bad Request");
    let text = std::str::from_utf8(head).map_err(|_| Reject(400, "Bad Request"))?;
    let mut lines = text.split("\r\n");
    let line = lines.next().ok_or(Reject(400, "Bad Request"))?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(Reject(505, "HTTP Version Not Supported"));
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        m if !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) => {
            return Err(Reject(405, "Method Not Allowed"))
        }
        _ => return Err(bad),
    };
    let mut accept_om = false;
    for h in lines {
        if h.is_empty() {
            continue;
        }
        let (name, value) = h.split_once(':').ok_or(Reject(400, "Bad Request"))?;
        if name.eq_ignore_ascii_case("accept") {
            accept_om |= value.contains("application/openmetrics-text");
        }
    }
    let path = target.split('?').next().unwrap_or_default();
    match path {
        "/metrics" => Ok(Request::Metrics {
            format: if accept_om {
                Format::OpenMetrics
            } else {
                Format::Text
            },
            head: head_only,
        }),
        "/healthz" => Ok(Request::Health { head: head_only }),
        p if p.starts_with('/') => Err(Reject(404, "Not Found")),
        _ => Err(bad),
    }
}

/// Serve forever: `metrics(format)` answers a scrape (from a cache: it must be cheap).
pub fn serve(
    listener: TcpListener,
    limits: Limits,
    metrics: Arc<dyn Fn(Format) -> Arc<str> + Send + Sync>,
) -> std::io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    // Connections being told 503, at most `max_connections` more; beyond, simply closed.
    let rejecting = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // EMFILE and the like: wait a moment instead of spinning.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        if active.fetch_add(1, Ordering::SeqCst) >= limits.max_connections {
            active.fetch_sub(1, Ordering::SeqCst);
            // Told 503 after its request is read (closing on an unread request resets the
            // connection, and the client never sees the answer); by a bounded number of
            // short-lived threads, so the accept loop never waits on a client.
            if rejecting.fetch_add(1, Ordering::SeqCst) < limits.max_connections {
                let done = rejecting.clone();
                let spawned = std::thread::Builder::new().spawn(move || {
                    busy(stream);
                    done.fetch_sub(1, Ordering::SeqCst);
                });
                if spawned.is_err() {
                    rejecting.fetch_sub(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                }
            } else {
                rejecting.fetch_sub(1, Ordering::SeqCst);
            }
            continue;
        }
        let active = active.clone();
        let metrics = metrics.clone();
        let spawned = std::thread::Builder::new().spawn(move || {
            handle(stream, limits, &*metrics);
            active.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// The answer when every slot is taken, after the request (within a short deadline).
fn busy(mut stream: TcpStream) {
    const BUSY_WAIT: Duration = Duration::from_millis(500);
    let _ = read_head(&mut stream, BUSY_WAIT);
    let _ = respond(
        &mut Deadline::new(&mut stream, BUSY_WAIT),
        503,
        "Service Unavailable",
        "text/plain",
        b"busy\n",
        false,
    );
}

fn handle(mut stream: TcpStream, limits: Limits, metrics: &dyn Fn(Format) -> Arc<str>) {
    let head = match read_head(&mut stream, limits.timeout) {
        Ok(h) => h,
        Err(Some(Reject(code, why))) => {
            let _ = respond(
                &mut Deadline::new(&mut stream, limits.timeout),
                code,
                why,
                "text/plain",
                format!("{why}\n").as_bytes(),
                false,
            );
            return;
        }
        // Timed out or hung up: nothing to answer.
        Err(None) => return,
    };
    let stream = &mut Deadline::new(&mut stream, limits.timeout);
    let _ = match parse(&head) {
        Ok(Request::Metrics { format, head }) => {
            let body = metrics(format);
            respond(
                stream,
                200,
                "OK",
                format.content_type(),
                body.as_bytes(),
                head,
            )
        }
        Ok(Request::Health { head }) => respond(stream, 200, "OK", "text/plain", b"ok\n", head),
        Err(Reject(code, why)) => respond(
            stream,
            code,
            why,
            "text/plain",
            format!("{why}\n").as_bytes(),
            false,
        ),
    };
}

/// Read up to the end of the head, within one deadline for the whole of it (a client that
/// trickles a byte at a time does not get a fresh timeout per byte).
fn read_head(stream: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>, Option<Reject>> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Some(Reject(408, "Request Timeout")));
        }
        let _ = stream.set_read_timeout(Some(left));
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(None),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Some(Reject(408, "Request Timeout")))
            }
            Err(_) => return Err(None),
        };
        let start = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf[start..].windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(start + end);
            return Ok(buf);
        }
        if buf.len() > MAX_HEAD {
            return Err(Some(Reject(431, "Request Header Fields Too Large")));
        }
    }
}

/// A stream whose writes all end by one deadline: each write waits at most what is left of it.
struct Deadline<'a> {
    stream: &'a mut TcpStream,
    until: Instant,
}

impl<'a> Deadline<'a> {
    fn new(stream: &'a mut TcpStream, timeout: Duration) -> Deadline<'a> {
        Deadline {
            stream,
            until: Instant::now() + timeout,
        }
    }
}

/// What one write may hand the kernel: a slow reader is checked against the deadline often.
const WRITE_CHUNK: usize = 64 * 1024;

impl Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(&buf[..buf.len().min(WRITE_CHUNK)])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

fn respond(
    stream: &mut impl Write,
    code: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server on loopback answering `body` to every scrape; its address.
    fn server(limits: Limits, body: Arc<str>) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || serve(listener, limits, Arc::new(move |_| body.clone())));
        addr
    }

    fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // A busy server may answer 503 and close before the request is written.
        let _ = write!(s, "GET {path} HTTP/1.1\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out[..out.len().min(200)]).into_owned()
    }

    #[test]
    fn a_client_that_does_not_read_its_answer_loses_its_slot_at_the_deadline() {
        // 64 MiB: far more than loopback's socket buffers take, so the writes block.
        let body: Arc<str> = "x".repeat(64 << 20).into();
        let addr = server(
            Limits {
                max_connections: 1,
                timeout: Duration::from_millis(700),
            },
            body,
        );
        let mut slow = TcpStream::connect(addr).unwrap();
        slow.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        // Reads a little now and then, until told to stop: each write succeeds a bit, the
        // whole answer never would.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = std::thread::spawn({
            let stop = stop.clone();
            move || {
                slow.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let mut buf = [0u8; 4096];
                let mut got = 0;
                while !stop.load(Ordering::SeqCst) {
                    if let Ok(n) = slow.read(&mut buf) {
                        got += n;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                got
            }
        });
        std::thread::sleep(Duration::from_millis(200));
        // The one slot is taken: told so at once, not kept waiting.
        let t = Instant::now();
        assert!(get(addr, "/healthz").starts_with("HTTP/1.1 503"));
        assert!(t.elapsed() < Duration::from_millis(500));
        // The slow reader still reads, but its slot is free again after the deadline.
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let answer = get(addr, "/healthz");
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
            assert!(Instant::now() < deadline, "{answer}");
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::SeqCst);
        let got = reader.join().unwrap();
        assert!(got > 0 && got < 64 << 20, "the slow reader got {got} bytes");
    }

    #[test]
    fn parses_scrapes_and_rejects_the_rest() {
        assert_eq!(
            parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain"),
            Ok(Request::Metrics {
                format: Format::Text,
                head: false
            })
        );
        assert_eq!(
            parse(b"GET /metrics?x=1 HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.1"),
            Ok(Request::Metrics { format: Format::OpenMetrics, head: false })
        );
        assert_eq!(
            parse(b"HEAD /healthz HTTP/1.0"),
            Ok(Request::Health { head: true })
        );
        assert_eq!(parse(b"GET /nope HTTP/1.1").unwrap_err().0, 404);
        assert_eq!(parse(b"POST /metrics HTTP/1.1").unwrap_err().0, 405);
        assert_eq!(parse(b"GET /metrics HTTP/2.0").unwrap_err().0, 505);
        assert_eq!(parse(b"garbage").unwrap_err().0, 400);
        assert_eq!(
            parse(b"GET /metrics HTTP/1.1\r\nno colon").unwrap_err().0,
            400
        );
        assert_eq!(parse(b"GET metrics HTTP/1.1").unwrap_err().0, 400);
        assert_eq!(parse(&[0xff, 0xfe]).unwrap_err().0, 400);
    }
}
