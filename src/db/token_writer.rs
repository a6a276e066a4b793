//! Group commit for validatedOrderTokens: requests hand their token to a writer task and wait;
//! the writer inserts everything that queued up meanwhile in one statement, on connections
//! with synchronous_commit off. Under load that is one round trip and no flush wait for many
//! requests, instead of one of each per request; alone, a request waits one round trip as before.
//!
//! One batch is written at a time, on purpose: while it is in flight the next one fills, so
//! batches grow with the load. Four in flight (measured: `bench/run.sh`, 32 connections) made
//! batches of about 3 tokens; Postgres then spent its CPU on per-statement work, and valid-cart
//! validate ran about a fifth slower than with one batch (of about 9) at a time.

use super::tokens::{TokenRecord, insert_batch};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 512;

type Ack = oneshot::Sender<Result<(), String>>;

#[derive(Clone)]
pub struct TokenWriter {
    queue: mpsc::Sender<(TokenRecord, Ack)>,
}

impl TokenWriter {
    pub fn spawn(pool: PgPool) -> Self {
        let (queue, mut incoming) = mpsc::channel::<(TokenRecord, Ack)>(8 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (records, acks): (Vec<TokenRecord>, Vec<Ack>) = batch.drain(..).unzip();
                let result = insert_batch(&pool, records).await.map_err(|e| e.to_string());
                for ack in acks {
                    let _ = ack.send(result.clone());
                }
            }
        });
        TokenWriter { queue }
    }

    /// Returns once the token is in the database.
    pub async fn write(&self, record: TokenRecord) -> anyhow::Result<()> {
        let (ack, done) = oneshot::channel();
        self.queue.send((record, ack)).await.map_err(|_| anyhow::anyhow!("token writer stopped"))?;
        done.await.map_err(|_| anyhow::anyhow!("token writer dropped the request"))?.map_err(|e| anyhow::anyhow!(e))
    }
}
