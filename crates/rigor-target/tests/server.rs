//! The real server on 127.0.0.1 port 0, driven by a hyper client over real sockets. Every test
//! is bounded by a timeout and sends a handful of requests.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Method, Request, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rigor_target::{spawn, RunningTarget, Stall, TargetConfig};
use tokio::net::TcpStream;

const TEST_BOUND: Duration = Duration::from_secs(15);

fn start(routes: &[&str], stall: Option<&str>) -> RunningTarget {
    let config = TargetConfig {
        routes: routes.iter().map(|spec| spec.parse().unwrap()).collect(),
        stall: stall.map(|spec| spec.parse::<Stall>().unwrap()),
        threads: 2,
        gauges: Vec::new(),
    };
    spawn("127.0.0.1:0".parse().unwrap(), config).unwrap()
}

async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_BOUND, test)
        .await
        .expect("the test did not finish in time");
}

struct Answer {
    status: StatusCode,
    version: Version,
    content_length: Option<u64>,
    body: Bytes,
    took: Duration,
}

/// One HTTP/1.1 keep-alive connection.
struct Client {
    addr: SocketAddr,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        Client { addr, sender }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send(Method::GET, path, Bytes::new()).await
    }

    async fn send(&mut self, method: Method, path: &str, body: Bytes) -> Answer {
        self.send_with(method, path, &[], body).await.0
    }

    /// Sends with extra headers; the answer and its headers.
    async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> (Answer, http::HeaderMap) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body)).unwrap();
        self.sender.ready().await.unwrap();
        let start = Instant::now();
        let response = self.sender.send_request(request).await.unwrap();
        let headers = response.headers().clone();
        (answer(response, start).await, headers)
    }
}

async fn answer(response: http::Response<hyper::body::Incoming>, start: Instant) -> Answer {
    let status = response.status();
    let version = response.version();
    let content_length = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|value| value.to_str().unwrap().parse().unwrap());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        version,
        content_length,
        body,
        took: start.elapsed(),
    }
}

/// Reads one counter from the `/stats` JSON without a JSON dependency.
fn stat(body: &Bytes, key: &str) -> u64 {
    let text = std::str::from_utf8(body).unwrap();
    let after = text
        .split_once(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .1;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn fixed_latency_and_cpu_take_at_least_their_time() {
    let server = start(&["/fixed: latency=20ms", "/busy: cpu=20ms"], None);
    bounded(async {
        let mut client = Client::connect(server.addr()).await;
        let fixed = client.get("/fixed").await;
        assert_eq!(fixed.status, StatusCode::OK);
        assert!(fixed.took >= Duration::from_millis(20), "{:?}", fixed.took);
        let busy = client.get("/busy").await;
        assert!(busy.took >= Duration::from_millis(20), "{:?}", busy.took);
        let plain = client.get("/").await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.body, Bytes::from_static(b"ok\n"));
        assert_eq!(plain.content_length, Some(3));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn injected_errors_carry_their_status_and_are_counted() {
    let server = start(&["/down: errors=100%@503", "/fine: errors=0%@503"], None);
    bounded(async {
        let mut client = Client::connect(server.addr()).await;
        for _ in 0..3 {
            assert_eq!(
                client.get("/down").await.status,
                StatusCode::SERVICE_UNAVAILABLE
            );
            assert_eq!(client.get("/fine").await.status, StatusCode::OK);
        }
        let stats = client.get("/stats").await;
        assert_eq!(stat(&stats.body, "errors"), 3);
        assert_eq!(stat(&stats.body, "requests"), 6);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn first_matching_route_wins_and_prefixes_match() {
    let server = start(
        &[
            "/products/special: errors=100%@418",
            "/products/*: body=100B",
            "/*: errors=100%@404",
        ],
        None,
    );
    bounded(async {
        let mut client = Client::connect(server.addr()).await;
        assert_eq!(client.get("/products/special").await.status.as_u16(), 418);
        let product = client.get("/products/42?color=red").await;
        assert_eq!(product.status, StatusCode::OK);
        assert_eq!(product.body.len(), 100);
        assert_eq!(product.content_length, Some(100));
        assert_eq!(client.get("/products").await.status, StatusCode::NOT_FOUND);
        // A catch-all does not take over the readiness check.
        let health = client.get("/health").await;
        assert_eq!(health.status, StatusCode::OK);
        // A request body is read to its end, so the connection stays usable afterwards.
        let posted = client
            .send(Method::POST, "/products/1", Bytes::from(vec![b'p'; 10_000]))
            .await;
        assert_eq!(posted.status, StatusCode::OK);
        assert_eq!(client.get("/products/2").await.status, StatusCode::OK);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn stall_holds_responses_but_not_the_readiness_check() {
    // The first window is [0, 3s) from the server's start: a request to `/` sent now is held
    // until it ends, while `/health` on another connection is answered meanwhile. Ordering,
    // not timing: nothing here depends on how busy the machine is, short of a 3 s hiccup.
    let server = start(&[], Some("3s/60s"));
    bounded(async {
        let addr = server.addr();
        let stalled = tokio::spawn(async move { Client::connect(addr).await.get("/").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let health = Client::connect(addr).await.get("/health").await;
        assert_eq!(health.status, StatusCode::OK);
        assert!(
            !stalled.is_finished(),
            "`/` was answered inside the stall window, before `/health`"
        );
        let stalled = stalled.await.unwrap();
        assert_eq!(stalled.status, StatusCode::OK);
        // Held at least until the window ended (a lower bound cannot fail on a busy machine).
        assert!(
            stalled.took >= Duration::from_millis(2_900),
            "{:?}",
            stalled.took
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn leaks_grow_the_reported_leaked_bytes() {
    let server = start(&["/leak: leak=1KiB"], None);
    bounded(async {
        let mut client = Client::connect(server.addr()).await;
        let before = client.get("/stats").await;
        assert_eq!(stat(&before.body, "leaked_bytes"), 0);
        for _ in 0..3 {
            assert_eq!(client.get("/leak").await.status, StatusCode::OK);
        }
        let after = client.get("/stats").await;
        assert_eq!(stat(&after.body, "leaked_bytes"), 3 * 1024);
        assert_eq!(stat(&after.body, "requests"), 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn h2c_prior_knowledge_is_served_on_the_same_port() {
    let server = start(&["/fixed: latency=5ms, body=1KiB"], None);
    bounded(async {
        let stream = TcpStream::connect(server.addr()).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let request = Request::get(server.url("/fixed"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let start = Instant::now();
        let response = answer(sender.send_request(request).await.unwrap(), start).await;
        assert_eq!(response.version, Version::HTTP_2);
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body.len(), 1024);
        assert_eq!(response.content_length, Some(1024));
        assert!(response.took >= Duration::from_millis(5));
    })
    .await;
}

#[test]
fn a_spawned_target_reports_its_address_and_stops() {
    let server = start(&[], None);
    let port = server.addr().port();
    assert_ne!(port, 0);
    assert_eq!(
        server.url("/health"),
        format!("http://127.0.0.1:{port}/health")
    );
    assert_eq!(server.url("x"), format!("http://127.0.0.1:{port}/x"));
    server.stop().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn metrics_count_each_route_and_gauges_can_be_set() {
    let server = start(&["/down: errors=100%@503", "/*: latency=2ms"], None);
    bounded(async {
        let mut client = Client::connect(server.addr()).await;
        for _ in 0..2 {
            client.get("/down").await;
            client.get("/x").await;
        }
        let set = client
            .send(
                Method::PUT,
                "/gauges/consumer_lag",
                Bytes::from_static(b"6000\n"),
            )
            .await;
        assert_eq!(set.status, StatusCode::NO_CONTENT);
        let refused = client
            .send(
                Method::PUT,
                "/gauges/consumer_lag",
                Bytes::from_static(b"lots"),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        // A catch-all does not take over the scrape.
        let metrics = client.get("/metrics").await;
        assert_eq!(metrics.status, StatusCode::OK);
        let text = String::from_utf8(metrics.body.to_vec()).unwrap();
        for line in [
            "rigor_target_requests_total{route=\"/down\",status=\"503\"} 2",
            "rigor_target_requests_total{route=\"/*\",status=\"200\"} 2",
            "rigor_target_request_duration_seconds_count{route=\"/*\"} 2",
            // 2 ms of latency each: none under a millisecond, both under 2.5.
            "rigor_target_request_duration_seconds_bucket{route=\"/*\",le=\"0.001\"} 0",
            "rigor_target_request_duration_seconds_bucket{route=\"/*\",le=\"+Inf\"} 2",
            "consumer_lag 6000",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_flow_carries_a_token_and_an_id_from_one_response_to_the_next_request() {
    let server = start(&["/flow/login: latency=20ms"], None);
    bounded(async {
        let mut c = Client::connect(server.addr()).await;
        let (login, headers) = c
            .send_with(Method::POST, "/flow/login", &[], Bytes::from("user=ada"))
            .await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(
            login.took >= Duration::from_millis(20),
            "the route's latency applies"
        );
        let body = std::str::from_utf8(&login.body).unwrap();
        let token = body.split('"').nth(3).unwrap().to_string();
        let cookie = headers[header::SET_COOKIE].to_str().unwrap();
        assert!(cookie.starts_with("session=s"), "{cookie}");
        let bearer = format!("Bearer {token}");
        let auth = [("authorization", bearer.as_str())];
        let (created, headers) = c
            .send_with(Method::POST, "/flow/orders", &auth, Bytes::new())
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let location = headers[header::LOCATION].to_str().unwrap().to_string();
        let (read, _) = c
            .send_with(Method::GET, &location, &auth, Bytes::new())
            .await;
        assert_eq!(read.status, StatusCode::OK);
        let wrong = [("authorization", "Bearer t1x00000000")];
        let (refused, _) = c
            .send_with(Method::GET, &location, &wrong, Bytes::new())
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        let session = cookie.split(';').next().unwrap();
        let (me, _) = c
            .send_with(
                Method::GET,
                "/flow/me",
                &[("cookie", session)],
                Bytes::new(),
            )
            .await;
        assert_eq!(me.status, StatusCode::OK);
        let stats = c.get("/stats").await.body;
        for (key, n) in [
            ("logins", 1),
            ("created", 1),
            ("read", 1),
            ("sessions", 1),
            ("unauthorized", 1),
            ("missing", 0),
        ] {
            assert_eq!(
                stat(&stats, key),
                n,
                "{key}: {}",
                String::from_utf8_lossy(&stats)
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_limited_route_serves_at_most_its_concurrency_and_queues_the_rest() {
    let server = start(&["/pool: latency=300ms, concurrency=2"], None);
    bounded(async {
        // Eight at once on eight connections: two in service, the rest waiting their turn.
        let mut waiting = Vec::new();
        for _ in 0..8 {
            let addr = server.addr();
            waiting.push(tokio::spawn(async move {
                Client::connect(addr).await.get("/pool").await.status
            }));
        }
        for w in waiting {
            assert_eq!(w.await.unwrap(), StatusCode::OK, "every one is answered");
        }
        let stats = Client::connect(server.addr()).await.get("/stats").await;
        let text = String::from_utf8_lossy(&stats.body).to_string();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let pool = &json["limited"][0];
        assert_eq!(pool["path"], "/pool", "{text}");
        assert_eq!(pool["concurrency"], 2);
        assert_eq!(
            pool["most_in_service"], 2,
            "never more than the limit: {text}"
        );
        assert!(
            pool["most_waiting"].as_u64().unwrap() >= 1,
            "some waited: {text}"
        );
        assert_eq!(stat(&stats.body, "requests"), 8);
    })
    .await;
    let e = "/x: concurrency=0"
        .parse::<rigor_target::Route>()
        .unwrap_err();
    assert!(e.to_string().contains("concurrency=0"), "{e}");
}
