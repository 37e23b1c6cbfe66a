//! Arguments of the client subcommands (`store`, `ref`, `import`, `jobs`, `readsets`,
//! `download`), which talk to a seqstore (or AWS HealthOmics) endpoint through `aws-sdk-omics`.

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::builder::PossibleValue;
use clap::{Args, Subcommand, ValueEnum};
use seqstore::model::import::FileType;

/// How to reach the service and how to print; shared by every client subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct ClientArgs {
    /// Endpoint of the service, e.g. http://127.0.0.1:4870 (default: AWS_ENDPOINT_URL_OMICS,
    /// AWS_ENDPOINT_URL or the profile's endpoint_url, else AWS itself).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Region to sign for (default: AWS_REGION or the profile's region, else us-east-1).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Named profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Print JSON for scripts instead of tables: the service's response as received.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only the id of what the command makes, for scripts (`STORE=$(seqstore store create
    /// NAME --quiet)`): `store create` the store's, `import` the job's, or with `--wait` the read
    /// set's. `--json` wins over it.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Progress bars on standard error: `auto` when it is a terminal, `always` (one line per
    /// update when it is not a terminal), `never`.
    #[arg(long, global = true, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
}

/// When progress bars are drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// Only when standard error is a terminal.
    #[default]
    Auto,
    /// Always; redrawn in place on a terminal, one line per update elsewhere.
    Always,
    /// Never.
    Never,
}

/// `seqstore store …`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// Sequence store commands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create a sequence store and print it.
    Create {
        /// Name of the store.
        name: String,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// ETag digest family: MD5up (default), SHA256up or SHA512up.
        #[arg(long, value_name = "FAMILY")]
        etag_algorithm: Option<String>,
    },
    /// List sequence stores.
    Ls,
    /// Delete a sequence store (it must hold no read sets).
    Rm {
        /// Store id.
        id: String,
    },
}

/// `seqstore ref …`.
#[derive(Debug, Args)]
pub struct RefArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: RefCommand,
}

/// Reference commands.
#[derive(Debug, Subcommand)]
pub enum RefCommand {
    /// Import FASTA files as references, into the account's reference store (one named
    /// `seqstore` is created on first use), wait for the import and print the references.
    Import {
        /// Reference store id (default: the first of the account, created when there is none).
        #[arg(long, value_name = "ID")]
        store: Option<String>,
        /// IAM role ARN the import job runs as.
        #[arg(long, value_name = "ARN")]
        role_arn: String,
        /// Reference name (default: the file name without its extensions); only with one file.
        #[arg(long)]
        name: Option<String>,
        /// FASTA files (local paths become file:// URIs), or s3:// / file:// URIs.
        #[arg(required = true, value_name = "FASTA")]
        files: Vec<String>,
    },
    /// List the references of every reference store of the account, each with its store.
    Ls {
        /// Only the references of this reference store.
        #[arg(long, value_name = "ID")]
        store: Option<String>,
    },
}

/// A source file type as `--type` takes it: the model's [`FileType`], spelled as on the wire
/// (`FASTQ`, `BAM`, `UBAM`, `CRAM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileTypeArg(pub FileType);

impl ValueEnum for FileTypeArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: LazyLock<Vec<FileTypeArg>> =
            LazyLock::new(|| FileType::ALL.iter().copied().map(FileTypeArg).collect());
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let file_type = self.0;
        let help = if file_type.needs_reference() {
            "needs --reference"
        } else if file_type.allows_source2() {
            "one file or a pair"
        } else if file_type.unaligned_only() {
            "unaligned"
        } else {
            "aligned"
        };
        Some(PossibleValue::new(file_type.as_str()).help(help))
    }
}

/// `seqstore import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Sequence store id.
    #[arg(long, value_name = "ID")]
    pub store: String,
    /// IAM role ARN the import job runs as.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// Source file type.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub file_type: FileTypeArg,
    /// Sample id.
    #[arg(long)]
    pub sample: String,
    /// Subject id.
    #[arg(long)]
    pub subject: String,
    /// Read set name (default: the sample id).
    #[arg(long)]
    pub name: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Reference ARN (required for CRAM).
    #[arg(long, value_name = "ARN")]
    pub reference: Option<String>,
    /// Wait for the read set, showing progress, and print it.
    #[arg(long)]
    pub wait: bool,
    /// Part size of a direct upload, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub part_size_mib: u64,
    /// Source file(s): local paths (sent as file:// URIs, uploaded when the server cannot read
    /// them), or s3:// / file:// URIs. A second file only for FASTQ pairs.
    #[arg(required = true, num_args = 1..=2, value_name = "SOURCE")]
    pub sources: Vec<String>,
}

/// `seqstore export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Sequence store id.
    #[arg(long, value_name = "ID")]
    pub store: String,
    /// IAM role ARN the export job runs as: it must have a location with write access covering
    /// the destination.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// Where to write: s3://bucket/prefix/ (each read set's files go under {prefix}{readSetId}/).
    #[arg(long, value_name = "S3URI")]
    pub destination: String,
    /// Wait for the export, showing the bytes written, and print the job.
    #[arg(long)]
    pub wait: bool,
    /// Read set ids (1 to 100).
    #[arg(required = true, num_args = 1..=100, value_name = "READSET")]
    pub read_sets: Vec<String>,
}

/// Which jobs a `seqstore jobs` command reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum JobKindArg {
    /// Read set import jobs.
    #[default]
    Import,
    /// Read set export jobs.
    Export,
}

/// `seqstore jobs …`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: JobsCommand,
}

/// Read set import and export job commands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List import (or export) jobs of a store.
    Ls {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Import or export jobs.
        #[arg(long, value_enum, default_value_t = JobKindArg::Import)]
        kind: JobKindArg,
        /// Only jobs in this status (SUBMITTED, IN_PROGRESS, COMPLETED, …).
        #[arg(long)]
        status: Option<String>,
    },
    /// Show one import (or export) job with its sources and their progress.
    Show {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Import or export job.
        #[arg(long, value_enum, default_value_t = JobKindArg::Import)]
        kind: JobKindArg,
        /// Job id.
        id: String,
    },
    /// Cancel an import job (SUBMITTED or IN_PROGRESS): sources not started fail `cancelled`,
    /// sources in progress stop and fail `cancelled`, finished ones keep their read sets (or
    /// references). Prints the job as `show` does.
    Cancel {
        /// Sequence store id (a read set import job).
        #[arg(
            long,
            value_name = "ID",
            required_unless_present = "reference_store",
            conflicts_with = "reference_store"
        )]
        store: Option<String>,
        /// Reference store id (a reference import job), instead of --store.
        #[arg(long, value_name = "ID")]
        reference_store: Option<String>,
        /// With --store: an import or an export job.
        #[arg(long, value_enum, default_value_t = JobKindArg::Import, conflicts_with = "reference_store")]
        kind: JobKindArg,
        /// Job id.
        id: String,
    },
}

/// `seqstore readsets …`.
#[derive(Debug, Args)]
pub struct ReadSetsArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: ReadSetsCommand,
}

/// ListReadSets filters.
#[derive(Debug, Clone, Default, Args)]
pub struct ReadSetFilter {
    /// Name.
    #[arg(long)]
    pub name: Option<String>,
    /// Status (ACTIVE, PROCESSING_UPLOAD, UPLOAD_FAILED, ARCHIVED, ACTIVATING, …).
    #[arg(long)]
    pub status: Option<String>,
    /// Sample id.
    #[arg(long)]
    pub sample: Option<String>,
    /// Subject id.
    #[arg(long)]
    pub subject: Option<String>,
    /// Reference ARN.
    #[arg(long, value_name = "ARN")]
    pub reference: Option<String>,
    /// Creation type (IMPORT, UPLOAD).
    #[arg(long)]
    pub creation_type: Option<String>,
    /// Generated from.
    #[arg(long)]
    pub generated_from: Option<String>,
    /// Created at or after (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub created_after: Option<String>,
    /// Created before (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub created_before: Option<String>,
    /// Source1 ETag (a seqstore extension).
    #[arg(long)]
    pub etag: Option<String>,
}

/// Read set commands.
#[derive(Debug, Subcommand)]
pub enum ReadSetsCommand {
    /// List read sets of a store.
    Ls {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Filters.
        #[command(flatten)]
        filter: Box<ReadSetFilter>,
    },
    /// Show one read set's metadata.
    Show {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Read set id.
        id: String,
    },
    /// Show one read set's quality-control statistics (seqstore's extension GetReadSetQc): reads,
    /// bases, quality, GC, read lengths, quality by cycle, and for aligned read sets mapping,
    /// pairing, duplicates, MAPQ, insert sizes, mismatches and the records per reference. With
    /// `--json`, the server's answer as is. Exits 1 when the statistics are PENDING or FAILED.
    Qc {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Read set id.
        #[arg(value_name = "READSET")]
        id: String,
    },
    /// Delete read sets (BatchDeleteReadSet, 100 ids per request): their files are removed. Prints
    /// each id that cannot be deleted and exits 1 when there is any.
    Rm {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Read set ids.
        #[arg(required = true, value_name = "READSET")]
        ids: Vec<String>,
    },
    /// Archive read sets now (seqstore's extension BatchArchiveReadSet, 100 ids per request):
    /// each ACTIVE one is moved to the archive tier by an archive job in the background; one
    /// already ARCHIVED, or being archived, is left as it is. Prints each id that cannot be
    /// archived and exits 1 when there is any.
    Archive {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Read set ids.
        #[arg(required = true, value_name = "READSET")]
        ids: Vec<String>,
    },
    /// Activate ARCHIVED read sets (StartReadSetActivationJob): one activation job per 20 read
    /// sets. Prints the jobs' ids.
    Activate {
        /// Sequence store id.
        #[arg(long, value_name = "ID")]
        store: String,
        /// Wait for the jobs, showing the bytes copied back, and print them; a read set that
        /// fails makes the command fail with its message.
        #[arg(long)]
        wait: bool,
        /// Read set ids (each listed once).
        #[arg(required = true, value_name = "READSET")]
        ids: Vec<String>,
    },
}

/// Files of a read set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum ReadSetFile {
    /// The first (or only) source file.
    Source1,
    /// The second file of a FASTQ pair.
    Source2,
    /// The index (BAI/CSI/CRAI).
    Index,
}

/// `seqstore token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Lifetime: seconds, or a number with s, m, h or d (at most the server's
    /// auth.max_token_seconds, 12 h by default).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub expires: u64,
}

/// Seconds of `90`, `90s`, `30m`, `2h` or `1d` (the server's own reading of durations).
fn parse_duration(text: &str) -> Result<u64, String> {
    seqstore::config::parse_duration(text)
}

/// `seqstore download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Endpoint, credentials and output.
    #[command(flatten)]
    pub client: ClientArgs,
    /// Sequence store id.
    #[arg(long, value_name = "ID")]
    pub store: String,
    /// Read set id.
    pub id: String,
    /// Which file.
    #[arg(long, value_enum, default_value_t = ReadSetFile::Source1)]
    pub file: ReadSetFile,
    /// Output file (written beside it as a temporary file, renamed when verified).
    #[arg(short, long, value_name = "PATH")]
    pub output: PathBuf,
    /// Parts downloaded at once.
    #[arg(long, default_value_t = 4)]
    pub parallel: usize,
}
