//! noodles' reference repository over a [`ReferenceSource`]: a server thread owns the borrowed
//! source and answers fetches from the decoding threads, whose repositories hold what was fetched
//! only as long as the scanner keeps them.

use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use noodles_fasta::{self as fasta, repository::Adapter};

use super::{ErrorKind, ReferenceSource};

type Request = (Vec<u8>, Sender<io::Result<Option<Vec<u8>>>>);

/// The first fetch that failed, kept so the scanner can report it instead of noodles' decoding
/// error that follows from it.
#[derive(Debug, Clone, Default)]
pub(super) struct Failure(Arc<Mutex<Option<ErrorKind>>>);

impl Failure {
    fn set(&self, kind: ErrorKind) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(kind);
    }

    /// Takes the recorded failure, if any.
    pub(super) fn take(&self) -> Option<ErrorKind> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Answers fetches until every [`Client`] is dropped.
pub(super) fn serve(source: &dyn ReferenceSource, requests: Receiver<Request>) {
    for (name, reply) in requests {
        let result = std::str::from_utf8(&name)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
            .and_then(|name| source.sequence(name));
        // The asking thread may have given up; nothing to do then.
        let _ = reply.send(result);
    }
}

/// A handle that fetches sequences through the server thread.
#[derive(Debug, Clone)]
pub(super) struct Client {
    requests: Sender<Request>,
    failure: Failure,
}

impl Client {
    pub(super) fn new(requests: Sender<Request>, failure: Failure) -> Self {
        Self { requests, failure }
    }

    /// A fresh, empty repository that fetches through this client.
    pub(super) fn repository(&self) -> fasta::Repository {
        fasta::Repository::new(self.clone())
    }

    fn fetch(&self, name: &[u8]) -> io::Result<Option<Vec<u8>>> {
        let (reply, answer) = mpsc::channel();
        self.requests.send((name.to_vec(), reply)).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}

impl Adapter for Client {
    fn get(&mut self, name: &[u8]) -> Option<io::Result<fasta::Record>> {
        let display = String::from_utf8_lossy(name).into_owned();
        // Never `None`: noodles panics on a missing sequence it was told to expect.
        Some(match self.fetch(name) {
            Ok(Some(bases)) => {
                let definition = fasta::record::Definition::new(name.to_vec(), None);
                Ok(fasta::Record::new(definition, fasta::record::Sequence::from(bases)))
            }
            Ok(None) => {
                self.failure.set(ErrorKind::MissingSequence { name: display.clone() });
                Err(io::Error::new(io::ErrorKind::NotFound, format!("reference sequence {display} not found")))
            }
            Err(e) => {
                let message = e.to_string();
                self.failure.set(ErrorKind::Reference { name: display, source: e });
                Err(io::Error::other(message))
            }
        })
    }
}

fn stopped() -> io::Error {
    io::Error::other("reference server stopped")
}
