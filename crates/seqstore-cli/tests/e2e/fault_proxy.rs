//! A TCP proxy that injects faults between seqstore and an S3-compatible server (moto): it passes
//! HTTP/1.1 traffic through unchanged until its [`Plan`] says otherwise, then resets connections
//! (TCP RST) or answers requests itself with HTTP 500/503/403 and an S3 error body, after a set number
//! of bytes, a set number of times or forever. Every request line it sees is recorded, with its
//! `Range` header, so tests can check how a client recovered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does once a plan's byte count is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Resets every connection once it has carried `after` bytes (both directions together).
    Reset,
    /// Resets the connection that carries byte `after` of all traffic since the plan was set,
    /// then answers requests with this status without passing them on.
    Status(u16),
}

/// A fault, when it starts, and how often it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The fault.
    pub fault: Fault,
    /// Bytes that pass before it (per connection for [`Fault::Reset`], in total for
    /// [`Fault::Status`]).
    pub after: u64,
    /// Faults to inject (resets, or answers with the status), then everything passes again;
    /// `None` means forever.
    pub times: Option<u64>,
}

impl Plan {
    /// Reset each connection after `after` bytes, forever.
    pub fn reset_after(after: u64) -> Self {
        Self { fault: Fault::Reset, after, times: None }
    }

    /// Cut the connection in flight after `after` bytes, then answer every request with `status`.
    pub fn status_after(status: u16, after: u64) -> Self {
        Self { fault: Fault::Status(status), after, times: None }
    }

    /// Only `times` faults (not counting the cut that starts a [`Fault::Status`] plan).
    pub fn times(self, times: u64) -> Self {
        Self { times: Some(times), ..self }
    }
}

#[derive(Debug, Default)]
struct State {
    plan: Option<Plan>,
    /// Bytes since the plan was set, all connections.
    total: u64,
    /// A status plan reached its byte count.
    tripped: bool,
    /// Faults left to inject.
    left: Option<u64>,
    /// Faults injected since the proxy started.
    fired: u64,
    /// `METHOD PATH [range]` of every request seen.
    requests: Vec<String>,
}

impl State {
    /// Of `n` bytes about to pass on a connection that has carried `before`, how many pass before
    /// the connection must be reset (`None`: all of them).
    fn cut_within(&mut self, before: u64, n: u64) -> Option<usize> {
        let plan = self.plan?;
        match plan.fault {
            Fault::Reset => {
                if before + n <= plan.after || self.left == Some(0) {
                    return None;
                }
                self.left = self.left.map(|left| left - 1);
                self.fired += 1;
                Some(plan.after.saturating_sub(before) as usize)
            }
            Fault::Status(_) => {
                let total = self.total;
                self.total += n;
                if self.tripped || total + n <= plan.after {
                    return None;
                }
                self.tripped = true;
                self.fired += 1;
                Some(plan.after.saturating_sub(total) as usize)
            }
        }
    }

    /// The status to answer the next request with, if any.
    fn answer(&mut self) -> Option<u16> {
        let plan = self.plan?;
        let Fault::Status(status) = plan.fault else { return None };
        if !self.tripped || self.left == Some(0) {
            return None;
        }
        self.left = self.left.map(|left| left - 1);
        self.fired += 1;
        Some(status)
    }
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, to use instead of the server's endpoint.
    pub endpoint: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://HOST:PORT`) that passes everything.
    pub async fn start(upstream: &str) -> Self {
        let upstream: SocketAddr = upstream.trim_start_matches("http://").parse().expect("upstream address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(connection(client, upstream, Arc::clone(&shared)));
            }
        });
        Self { endpoint, state, task }
    }

    /// Follows `plan` from now on (`None`: pass everything); byte counts start again at zero.
    pub fn set(&self, plan: Option<Plan>) {
        let mut state = self.state.lock().expect("proxy state");
        state.plan = plan;
        state.total = 0;
        // A status plan from byte 0 has no connection in flight to cut: it answers at once.
        state.tripped = matches!(plan, Some(Plan { fault: Fault::Status(_), after: 0, .. }));
        state.left = plan.and_then(|p| p.times);
    }

    /// Faults injected so far.
    pub fn fired(&self) -> u64 {
        self.state.lock().expect("proxy state").fired
    }

    /// `METHOD PATH` of every request seen so far, with ` range=…` when it had a Range header.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("proxy state").requests.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How a proxied connection ends.
enum End {
    /// Either side closed it.
    Closed,
    /// A fault resets it.
    Reset,
    /// A fault answers the request with this status.
    Answer(u16),
}

async fn connection(client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let carried = AtomicU64::new(0);
    let end = tokio::select! {
        end = requests(&mut client_read, &mut server_write, &carried, &state) => end,
        end = copy(&mut server_read, &mut client_write, &carried, &state) => end,
    };
    match end {
        End::Closed => {
            let _ = client_write.shutdown().await;
            let _ = server_write.shutdown().await;
        }
        End::Reset => {
            // Let what passed before the cut arrive, then reset both sides (RST on drop).
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = client_write.as_ref().set_zero_linger();
            let _ = server_write.as_ref().set_zero_linger();
        }
        End::Answer(status) => {
            let _ = client_write.write_all(&error_response(status)).await;
            let _ = client_write.shutdown().await;
        }
    }
}

/// Passes `bytes` on, counted on the connection; `Err` ends the connection (a fault cut it after
/// the bytes before the cut, or the peer is gone).
async fn forward(to: &mut OwnedWriteHalf, bytes: &[u8], carried: &AtomicU64, state: &Mutex<State>) -> Result<(), End> {
    let n = bytes.len() as u64;
    let before = carried.fetch_add(n, Ordering::SeqCst);
    let cut = state.lock().expect("proxy state").cut_within(before, n);
    match cut {
        Some(pass) => {
            let _ = to.write_all(&bytes[..pass.min(bytes.len())]).await;
            let _ = to.flush().await;
            Err(End::Reset)
        }
        None => to.write_all(bytes).await.map_err(|_| End::Closed),
    }
}

/// Server to client: bytes as they come.
async fn copy(from: &mut OwnedReadHalf, to: &mut OwnedWriteHalf, carried: &AtomicU64, state: &Mutex<State>) -> End {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return End::Closed,
            Ok(n) => {
                if let Err(end) = forward(to, &chunk[..n], carried, state).await {
                    return end;
                }
            }
        }
    }
}

/// Client to server, request by request (head, then a `Content-Length` body), so that a request
/// can be answered by the proxy instead of the server.
async fn requests(from: &mut OwnedReadHalf, to: &mut OwnedWriteHalf, carried: &AtomicU64, state: &Mutex<State>) -> End {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match from.read(&mut chunk).await {
                Ok(0) | Err(_) => return End::Closed,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head: Vec<u8> = buf.drain(..head_end).collect();
        let text = String::from_utf8_lossy(&head).into_owned();
        let length = header(&text, "content-length").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let chunked = header(&text, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let answer = {
            let mut state = state.lock().expect("proxy state");
            let line = text.lines().next().unwrap_or_default().rsplit_once(' ').map_or("", |(l, _)| l).to_owned();
            let range = header(&text, "range").map(|r| format!(" range={r}")).unwrap_or_default();
            state.requests.push(format!("{line}{range}"));
            state.answer()
        };
        if let Some(status) = answer {
            // Read the body first, so the client sees the answer rather than a broken pipe.
            let mut left = length.saturating_sub(buf.len() as u64);
            while left > 0 {
                match from.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n as u64),
                }
            }
            return End::Answer(status);
        }
        if let Err(end) = forward(to, &head, carried, state).await {
            return end;
        }
        if chunked {
            // Request boundaries are lost: pass the rest of the connection as it comes.
            if let Err(end) = forward(to, &std::mem::take(&mut buf), carried, state).await {
                return end;
            }
            return copy(from, to, carried, state).await;
        }
        let mut left = length;
        while left > 0 {
            if buf.is_empty() {
                match from.read(&mut chunk).await {
                    Ok(0) | Err(_) => return End::Closed,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let take = (left as usize).min(buf.len());
            let part: Vec<u8> = buf.drain(..take).collect();
            if let Err(end) = forward(to, &part, carried, state).await {
                return end;
            }
            left -= take as u64;
        }
    }
}

/// The value of header `name` in a request head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// An S3 error answer with `status` (`InternalError` for 500, `SlowDown` for 503, `AccessDenied`
/// for 403), with a request id and host id as S3 sends them.
fn error_response(status: u16) -> Vec<u8> {
    let (reason, code) = match status {
        503 => ("Service Unavailable", "SlowDown"),
        500 => ("Internal Server Error", "InternalError"),
        403 => ("Forbidden", "AccessDenied"),
        _ => ("Error", "InternalError"),
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>fault injected by the test proxy</Message><RequestId>FAULT0REQUEST0ID</RequestId>\
         <HostId>fault/host/id=</HostId></Error>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn the_proxy_passes_resets_and_answers() {
    // An upstream that answers every request with a 100-byte body and keeps the connection open.
    let upstream = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = upstream.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = upstream.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let body = [b'x'; 100];
                    let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
                    if socket.write_all(&[head.as_bytes(), &body].concat()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let proxy = FaultProxy::start(&format!("http://{address}")).await;
    let get = |range: Option<&str>| {
        let range = range.map(|r| format!("Range: {r}\r\n")).unwrap_or_default();
        format!("GET /b/k HTTP/1.1\r\nHost: x\r\n{range}\r\n")
    };
    let exchange = |request: String| {
        let endpoint = proxy.endpoint.trim_start_matches("http://").to_owned();
        async move {
            let mut socket = TcpStream::connect(endpoint).await.expect("connect");
            socket.write_all(request.as_bytes()).await.expect("send");
            let mut response = Vec::new();
            let mut buf = vec![0u8; 4096];
            // Until the whole answer (head + 100 bytes) or the end of the connection.
            while !String::from_utf8_lossy(&response).ends_with(&"x".repeat(100)) {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => response.extend_from_slice(&buf[..n]),
                }
            }
            String::from_utf8_lossy(&response).into_owned()
        }
    };
    assert!(exchange(get(None)).await.ends_with(&"x".repeat(100)), "passes");
    proxy.set(Some(Plan::reset_after(60).times(1)));
    let cut = exchange(get(None)).await;
    assert!(cut.len() < 100, "reset after 60 bytes of the connection: {cut:?}");
    assert!(exchange(get(Some("bytes=5-"))).await.ends_with(&"x".repeat(100)), "only once");
    proxy.set(Some(Plan::status_after(503, 0).times(2)));
    for _ in 0..2 {
        assert!(exchange(get(None)).await.starts_with("HTTP/1.1 503"));
    }
    assert!(exchange(get(None)).await.starts_with("HTTP/1.1 200"), "then passes again");
    assert_eq!(proxy.fired(), 3);
    assert!(proxy.requests().contains(&"GET /b/k range=bytes=5-".to_owned()), "{:?}", proxy.requests());
}
