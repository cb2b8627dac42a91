//! A request whose head HTTP itself cannot parse (a header value with a control character)
//! is refused by hyper before the router sees it, with an empty 400. This listener's
//! connections turn that empty 400 into a problem document naming the header at fault.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::error::{PROBLEM_JSON, problem_at};
use crate::tls::Conn;

/// How much of a request head is kept to name the header at fault.
const HEAD_KEPT_BYTES: usize = 64 * 1024;
/// The start of hyper's own answer to a request head it cannot parse.
const PARSE_ERROR_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\n";

/// A listener whose connections (plain TCP, or TLS once their handshake is done) answer a
/// malformed request head with a problem document.
pub(crate) struct ProblemListener {
    source: Incoming,
    local: SocketAddr,
}

enum Incoming {
    Plain(TcpListener),
    Tls(mpsc::Receiver<(Conn, SocketAddr)>),
}

impl ProblemListener {
    pub fn plain(listener: TcpListener) -> io::Result<ProblemListener> {
        Ok(ProblemListener {
            local: listener.local_addr()?,
            source: Incoming::Plain(listener),
        })
    }

    /// Connections of `listener` over TLS ([`crate::tls::handshakes`]).
    pub fn tls(
        listener: TcpListener,
        acceptor: tokio_rustls::TlsAcceptor,
    ) -> io::Result<ProblemListener> {
        Ok(ProblemListener {
            local: listener.local_addr()?,
            source: Incoming::Tls(crate::tls::handshakes(listener, acceptor)),
        })
    }
}

impl axum::serve::Listener for ProblemListener {
    type Io = ProblemIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ProblemIo, SocketAddr) {
        match &mut self.source {
            Incoming::Plain(listener) => {
                let (stream, addr) = axum::serve::Listener::accept(listener).await;
                (ProblemIo::new(Conn::Plain(stream)), addr)
            }
            Incoming::Tls(accepted) => match accepted.recv().await {
                Some((conn, addr)) => (ProblemIo::new(conn), addr),
                // The handshake task is gone (the runtime is stopping): accept nothing more.
                None => std::future::pending().await,
            },
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// A connection that remembers the bytes read since its last answer, and sends a problem
/// document in place of hyper's bodiless 400.
pub(crate) struct ProblemIo {
    stream: Conn,
    /// Bytes read since the last write, at most [`HEAD_KEPT_BYTES`].
    head: Vec<u8>,
    /// A replacement answer still being written.
    pending: Vec<u8>,
}

impl ProblemIo {
    fn new(stream: Conn) -> ProblemIo {
        ProblemIo {
            stream,
            head: Vec::new(),
            pending: Vec::new(),
        }
    }
}

/// Whether `buf` is hyper's answer to an unparsable head: a 400 with no body (every 400 of
/// the API itself carries a problem document).
fn is_parse_error(buf: &[u8]) -> bool {
    buf.starts_with(PARSE_ERROR_400)
        && String::from_utf8_lossy(buf)
            .to_ascii_lowercase()
            .contains("\r\ncontent-length: 0\r\n")
}

/// The problem with a request head: the first header whose value has a control character.
pub(crate) fn head_problem(head: &[u8]) -> String {
    let bad = |b: &u8| (*b < 0x20 && *b != b'\t') || *b == 0x7f;
    head.split(|b| *b == b'\n')
        .skip(1)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .find(|line| line.iter().any(bad))
        .and_then(|line| {
            let name = line.split(|b| *b == b':').next()?;
            std::str::from_utf8(name)
                .ok()
                .filter(|n| !n.is_empty() && !n.bytes().any(|b| bad(&b)))
        })
        .map_or_else(
            || "malformed request line or header".to_string(),
            |name| format!("the {name} header must be printable ASCII: it has a control character"),
        )
}

/// The whole answer (head and problem document) for a request head hyper could not parse.
fn problem_answer(head: &[u8]) -> Vec<u8> {
    let problem = problem_at(StatusCode::BAD_REQUEST, head_problem(head), None);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

impl AsyncRead for ProblemIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        let read = &buf.filled()[before..];
        let room = HEAD_KEPT_BYTES.saturating_sub(this.head.len());
        this.head.extend_from_slice(&read[..read.len().min(room)]);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ProblemIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_empty() {
            if !is_parse_error(buf) {
                this.head.clear();
                return Pin::new(&mut this.stream).poll_write(cx, buf);
            }
            this.pending = problem_answer(&this.head);
            this.head.clear();
        }
        // Hyper sees its answer written once the replacement is.
        while !this.pending.is_empty() {
            let written = ready!(Pin::new(&mut this.stream).poll_write(cx, &this.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.pending.drain(..written);
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_header_with_a_control_character() {
        let head = b"POST /x HTTP/1.1\r\nHost: a\r\nIdempotency-Key: a\x01b\r\n\r\n";
        assert_eq!(
            head_problem(head),
            "the Idempotency-Key header must be printable ASCII: it has a control character"
        );
        assert_eq!(
            head_problem(b"P\x01ST /x HTTP/1.1\r\nHost: a\r\n\r\n"),
            "malformed request line or header"
        );
        assert!(is_parse_error(
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ));
        assert!(!is_parse_error(
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 90\r\n\r\n"
        ));
    }
}
