//! The `admin` Lambda function: the workspace's pages and JSON API. Without
//! `AWS_LAMBDA_RUNTIME_API` it serves the same router on `SVAR_ADDR`.

fn main() {
    // Filled in with the session secret's configuration (this change).
}
