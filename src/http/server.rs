//! The listener: hyper's connection builder with the limits `axum::serve` leaves unset. A
//! client that sends its headers too slowly is cut off (`header_read_timeout`, which hyper only
//! enforces with a timer, and `axum::serve` gives it none); a connection that sits idle between
//! requests is closed; every request carries its peer's address (`ConnectInfo`), for the
//! per-address budget of failed authentications. Graceful: on shutdown, in-flight requests
//! finish and idle connections close.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

/// What a connection may take of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// From a request's first byte to the end of its headers.
    pub header_read_timeout: Duration,
    /// Between two requests on a kept-alive connection (and before the first).
    pub idle_timeout: Duration,
    /// Header fields hyper reads before answering 431 by itself; below it the application
    /// refuses with a problem+json (`context::MAX_HEADERS`).
    pub max_headers: usize,
}

/// Header fields hyper itself reads; the application refuses more than `context::MAX_HEADERS`
/// with a problem+json, so only a request beyond this gets hyper's bare 431.
pub const HYPER_MAX_HEADERS: usize = 256;

impl ConnectionLimits {
    pub fn of(config: &crate::config::Config) -> Self {
        ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            max_headers: HYPER_MAX_HEADERS,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn({
            let app = app.clone();
            move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().call(request)
            }
        });
        let io = IdleTimeout::new(TokioIo::new(stream), limits.idle_timeout);
        let connection = graceful.watch(builder.serve_connection_with_upgrades(io, service).into_owned());
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Closes a connection on which nothing has been read or written for `timeout`: a client
/// holding connections open without using them costs a socket and a task each.
struct IdleTimeout<T> {
    inner: T,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, timeout: Duration) -> Self {
        IdleTimeout { inner, timeout, deadline: Box::pin(tokio::time::sleep(timeout)) }
    }

    /// Any progress pushes the deadline back; once it passes, the connection fails as timed out.
    fn check<R>(&mut self, cx: &mut Context<'_>, polled: &Poll<R>) -> Result<(), std::io::Error> {
        if polled.is_ready() {
            let next = tokio::time::Instant::now() + self.timeout;
            self.deadline.as_mut().reset(next);
            return Ok(());
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "idle connection")),
            Poll::Pending => Ok(()),
        }
    }
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for IdleTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        match self.check(cx, &polled) {
            Ok(()) => polled,
            Err(error) => Poll::Ready(Err(error)),
        }
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for IdleTimeout<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        match self.check(cx, &polled) {
            Ok(()) => polled,
            Err(error) => Poll::Ready(Err(error)),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
