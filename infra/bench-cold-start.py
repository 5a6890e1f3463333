#!/usr/bin/env python3
"""Cold-start benchmark: process spawn -> first invocation response, against a local
stand-in for the Lambda Runtime API. Run by infra/bench-cold-start.sh, which builds the
binaries; see BENCHMARKS.md for what the figures mean.

The stand-in is a small HTTP server on 127.0.0.1 (loopback only). For each run it
  1. starts the binary with a Lambda-like environment and AWS_LAMBDA_RUNTIME_API
     pointing at itself (time t0, just before the spawn);
  2. answers the first GET .../invocation/next with an API Gateway HTTP API (payload
     v2) event, `GET /kod` (time of that request: "init");
  3. takes the POST .../invocation/{id}/response (time t1: "first response"), checks
     it is an HTTP 200, then kills the process.
A second .../next is held open until the run ends, as the real API does.

The same server also answers SSM GetParameter (awsJson1_1), so the variant that reads
the hash key from Parameter Store can be timed too; loopback without TLS, so that
variant shows the client's own cost, not the network's.

Variants timed (BENCHMARKS.md says what each shows): the hello world; respond with the
hash key given directly; respond reading it from (the stand-in for) SSM.

Standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HASH_KEY = "ab" * 32  # 32 bytes: a benchmark key, nothing real is hashed with it

EVENT = {
    "version": "2.0",
    "routeKey": "GET /kod",
    "rawPath": "/kod",
    "rawQueryString": "",
    "headers": {
        "accept": "text/html",
        "host": "bench.execute-api.eu-north-1.amazonaws.com",
        "user-agent": "svar-bench",
        "x-forwarded-proto": "https",
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "bench",
        "domainName": "bench.execute-api.eu-north-1.amazonaws.com",
        "domainPrefix": "bench",
        "http": {
            "method": "GET",
            "path": "/kod",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "svar-bench",
        },
        "requestId": "bench-request",
        "routeKey": "GET /kod",
        "stage": "$default",
        "time": "23/Nov/2026:12:00:00 +0000",
        "timeEpoch": 1795435200000,
    },
    "isBase64Encoded": False,
}


class Run:
    """What one run has seen so far."""

    def __init__(self, number):
        self.request_id = f"bench-{number:04d}"
        self.t_next = None
        self.t_response = None
        self.response = None
        self.error = None
        self.served = False
        self.ssm_calls = 0
        self.done = threading.Event()
        self.ended = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-lambda-runtime"

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        run = self.server.run
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self._reply(404)
        now = time.perf_counter_ns()
        if run is None or run.served:
            # The function waits for its next event; hold it until this run ends.
            if run is not None:
                run.ended.wait(30)
            try:
                self._reply(410)
            except OSError:
                pass
            return
        run.served = True
        run.t_next = now
        body = json.dumps(EVENT).encode()
        deadline = str(int(time.time() * 1000) + 10_000)
        self._reply(
            200,
            body,
            {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": run.request_id,
                "Lambda-Runtime-Deadline-Ms": deadline,
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-north-1:123456789012:function:bench",
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            },
        )

    def do_POST(self):
        run = self.server.run
        body = self._body()
        if self.headers.get("X-Amz-Target") == "AmazonSSM.GetParameter":
            return self._ssm(run, body)
        now = time.perf_counter_ns()
        if run is not None and self.path == f"/2018-06-01/runtime/invocation/{run.request_id}/response":
            run.t_response = now
            run.response = body
        elif run is not None and (self.path.endswith("/error") or self.path == "/2018-06-01/runtime/init/error"):
            run.error = f"{self.path}: {body[:500]!r}"
        else:
            return self._reply(404)
        self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
        run.done.set()

    def _ssm(self, run, body):
        request = json.loads(body or b"{}")
        if run is not None:
            run.ssm_calls += 1
        answer = {
            "Parameter": {
                "Name": request.get("Name", ""),
                "Type": "SecureString",
                "Value": HASH_KEY,
                "Version": 1,
                "DataType": "text",
            }
        }
        self._reply(200, json.dumps(answer).encode(), {"Content-Type": "application/x-amz-json-1.1"})


def lambda_env(port, extra):
    """The environment Lambda gives a provided.al2023 function, and the run's own."""
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/svar/bench/respond",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_REGION": "eu-north-1",
        "AWS_DEFAULT_REGION": "eu-north-1",
        # Placeholder credentials, as Lambda sets real ones; nothing is signed for AWS.
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "LAMBDA_TASK_ROOT": "/var/task",
        "TZ": ":UTC",
    }
    env.update({k: v.replace("{port}", str(port)) for k, v in extra.items()})
    return env


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def start_server():
    """A fresh stand-in on a port of its own for each run, so a killed process's last
    request can never be taken for the next run's."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # a killed function's broken pipe
    server.run = None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def one_run(number, variant, log_dir):
    server = start_server()
    run = Run(number)
    server.run = run
    log_path = os.path.join(log_dir, f"{variant['name'].replace(' ', '_').replace(',', '')}-{number:04d}.log")
    with open(log_path, "wb") as log:
        t0 = time.perf_counter_ns()
        process = subprocess.Popen(
            [variant["binary"]],
            env=lambda_env(server.server_address[1], variant.get("env", {})),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        finished = run.done.wait(15)
        rss = peak_rss_kib(process.pid)
        process.kill()
        process.wait()
    run.ended.set()
    server.shutdown()
    server.server_close()
    if not finished or run.error or run.response is None:
        with open(log_path, "rb") as log:
            output = log.read()[-2000:].decode(errors="replace")
        raise SystemExit(f"{variant['name']} run {number} failed: {run.error or 'no response in 15 s'}\n{output}")
    answer = json.loads(run.response)
    if answer.get("statusCode") != 200:
        raise SystemExit(f"{variant['name']} run {number}: status {answer.get('statusCode')}: {run.response[:300]!r}")
    if variant.get("expect_ssm") and run.ssm_calls != 1:
        raise SystemExit(f"{variant['name']} run {number}: expected one SSM call, saw {run.ssm_calls}")
    return {
        "init_ms": (run.t_next - t0) / 1e6,
        "first_response_ms": (run.t_response - t0) / 1e6,
        "peak_rss_kib": rss,
        "log": log_path,
    }


def percentile(values, p):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each variant first (page cache)")
    parser.add_argument("--hello", required=True, help="the hello-world lambda_http binary")
    parser.add_argument("--respond", required=True, help="the respond binary")
    parser.add_argument("--json", help="write the raw figures here")
    args = parser.parse_args()

    dynamodb_env = {
        "SVAR_STORE": "dynamodb",
        "SVAR_RESPONSES_TABLE": "bench-responses",
        "SVAR_INVITATIONS_TABLE": "bench-invitations",
        # A port nothing listens on: GET /kod needs no database, and nothing is sent.
        "SVAR_DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
    }
    variants = [
        {"name": "hello-world", "binary": args.hello},
        {"name": "respond", "binary": args.respond, "env": {**dynamodb_env, "SVAR_HASH_KEY": HASH_KEY}},
        {
            "name": "respond+ssm",
            "binary": args.respond,
            "env": {
                **dynamodb_env,
                "SVAR_HASH_KEY_PARAMETER": "/svar/bench/hash-key",
                "AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:{port}",
            },
            "expect_ssm": True,
        },
    ]

    results = {v["name"]: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="svar-bench-") as log_dir:
        for number in range(args.warmup):
            for variant in variants:
                one_run(number, variant, log_dir)
        for number in range(args.runs):
            # Alternate the order, so neither kind always follows the other.
            order = variants if number % 2 == 0 else list(reversed(variants))
            for variant in order:
                results[variant["name"]].append(one_run(1000 + number, variant, log_dir))
        with open(results["respond"][0]["log"], "rb") as log:
            sample_log = log.read().decode(errors="replace")

    print(f"{args.runs} runs each (after {args.warmup} untimed), interleaved; milliseconds from spawn")
    print()
    print("| binary | size | init: median / p90 | first response: median / p90 (min-max) | peak RSS |")
    print("|---|---|---|---|---|")
    summary = {}
    for variant in variants:
        runs = results[variant["name"]]
        init = [r["init_ms"] for r in runs]
        first = [r["first_response_ms"] for r in runs]
        rss = [r["peak_rss_kib"] for r in runs if r["peak_rss_kib"]]
        size = os.path.getsize(variant["binary"])
        summary[variant["name"]] = {
            "binary_bytes": size,
            "init_ms": init,
            "first_response_ms": first,
            "median_first_response_ms": statistics.median(first),
            "p90_first_response_ms": percentile(first, 90),
            "median_init_ms": statistics.median(init),
            "p90_init_ms": percentile(init, 90),
            "peak_rss_kib_max": max(rss) if rss else None,
        }
        s = summary[variant["name"]]
        print(
            f"| {variant['name']} | {size / 1e6:.2f} MB | {s['median_init_ms']:.2f} / {s['p90_init_ms']:.2f} "
            f"| {s['median_first_response_ms']:.2f} / {s['p90_first_response_ms']:.2f} ({min(first):.2f}-{max(first):.2f}) "
            f"| {(s['peak_rss_kib_max'] or 0) / 1024:.1f} MiB |"
        )
    hello = summary["hello-world"]["median_first_response_ms"]
    print()
    for name in [v["name"] for v in variants[1:]]:
        print(f"{name} / hello-world (median first response): {summary[name]['median_first_response_ms'] / hello:.2f}x")
    print()
    print("respond's log of one run (JSON lines, as CloudWatch would get them):")
    print(sample_log.rstrip())
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
