//! Group commit for validatedOrderTokens: requests hand their token to a writer task and wait;
//! the writer inserts everything that queued up meanwhile in one statement, on connections
//! with synchronous_commit off. Under load that is one round trip and no flush wait for many
//! requests, instead of one of each per request; alone, a request waits one round trip as before.

use crate::db::tokens::{TokenRecord, insert_batch};
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

const MAX_BATCH: usize = 512;
/// Batches in flight at once: while one is being written, the next one fills.
const PARALLEL_BATCHES: usize = 4;

type Ack = oneshot::Sender<Result<(), String>>;

#[derive(Clone)]
pub struct TokenWriter {
    queue: mpsc::Sender<(TokenRecord, Ack)>,
}

impl TokenWriter {
    pub fn spawn(pool: PgPool) -> Self {
        let (queue, mut incoming) = mpsc::channel::<(TokenRecord, Ack)>(8 * MAX_BATCH);
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(PARALLEL_BATCHES));
            while let Some(first) = incoming.recv().await {
                let permit = slots.clone().acquire_owned().await.expect("semaphore open");
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match incoming.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let pool = pool.clone();
                tokio::spawn(async move {
                    let (records, acks): (Vec<TokenRecord>, Vec<Ack>) = batch.into_iter().unzip();
                    let result = insert_batch(&pool, records).await.map_err(|e| e.to_string());
                    for ack in acks {
                        let _ = ack.send(result.clone());
                    }
                    drop(permit);
                });
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
