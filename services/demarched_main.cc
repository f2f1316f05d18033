// demarched: the demarche gRPC server over an embedded RocksDB ledger.
//
// Start-up: parse flags, block SIGINT/SIGTERM (so gRPC's threads never see
// them), open the ledger, optionally load the bundled record, serve. The main
// thread then waits for a signal and shuts down gracefully; a second signal
// exits at once.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ledger/import.h"
#include "ledger/ledger.h"
#include "services/health_probe.h"
#include "services/log.h"
#include "services/server.h"
#include "services/signing_key.h"
#include "services/storage_watch.h"

namespace fs = std::filesystem;
using demarche::services::Log;
using demarche::services::LogLevel;

namespace {

struct Flags {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "./demarche-data";
  bool load_bundled = false;
  std::string bundle_dir;  // empty = found next to the executable or in the source tree
  bool no_sync = false;
  std::string port_file;
  std::string principal = "local";
  std::string tokens_file;
  std::string tls_cert;
  std::string tls_key;
  bool allow_insecure = false;
  double shutdown_grace_s = 10;
  int max_message_mb = 32;
  double release_memory_every_s = 5;
  double min_free_disk_mb = 64;
  std::string signing_key;  // empty = <data_dir>/signing.key
  std::string key_name;     // of a key created here; empty = demarche-<random>
  bool no_signing = false;
  std::string log_level = "info";
  std::string check;
};

std::string Str(const absl::Status& s) { return std::string(s.message()); }

// Where the bundled Six Party Talks record lives when --bundle-dir is not
// given: an installed share/ dir, the source tree next to build/<dir>/, the
// source tree this binary was built from, the working directory.
std::string DefaultBundleDir() {
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path bin = exe.parent_path();
    candidates.push_back(bin / "../share/demarche/six-party-talks");
    candidates.push_back(bin / "../../data/six-party-talks");
  }
  candidates.push_back(fs::path(DEMARCHE_SOURCE_DIR) / "data/six-party-talks");
  candidates.push_back("data/six-party-talks");
  for (const fs::path& p : candidates) {
    if (fs::is_directory(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return (fs::path(DEMARCHE_SOURCE_DIR) / "data/six-party-talks").string();
}

// Loads the bundled record unless it is loaded already; a load cut short
// (the process killed during it) is resumed (ledger::LoadBundleOnce).
bool LoadBundled(demarche::ledger::Ledger& ledger, const Flags& flags) {
  const std::string dir = flags.bundle_dir.empty() ? DefaultBundleDir() : flags.bundle_dir;
  if (!fs::is_directory(dir)) {
    Log(LogLevel::kError, "bundle load failed",
        {{"bundle_dir", dir}, {"error", "no such directory; pass --bundle-dir"}});
    return false;
  }
  using Outcome = demarche::ledger::LoadOnceResult::Outcome;
  auto start = std::chrono::steady_clock::now();
  auto loaded = demarche::ledger::LoadBundleOnce(ledger, dir, flags.principal);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (!loaded.ok()) {
    Log(LogLevel::kError, "bundle load failed",
        {{"bundle_dir", dir}, {"error", Str(loaded.status())}});
    return false;
  }
  if (loaded->outcome == Outcome::kAlreadyLoaded) {
    Log(LogLevel::kInfo, "bundle skipped: already loaded",
        {{"bundle_dir", dir}, {"scenario", loaded->scenario}});
    return true;
  }
  std::string branches;
  for (const std::string& b : loaded->load.branches_created)
    branches += (branches.empty() ? "" : ",") + b;
  Log(LogLevel::kInfo,
      loaded->outcome == Outcome::kResumed ? "bundle load resumed" : "bundle loaded",
      {{"bundle_dir", dir},
       {"scenario", loaded->scenario},
       {"events", std::to_string(loaded->load.events_appended)},
       {"already_present", std::to_string(loaded->load.events_present)},
       {"branches", branches},
       {"ms", std::to_string(ms)}});
  return true;
}

// Without --load-bundled, a load cut short is only reported.
void WarnUnfinishedLoads(demarche::ledger::Ledger& ledger) {
  auto unfinished = demarche::ledger::UnfinishedBundleLoads(ledger);
  if (!unfinished.ok()) return;
  for (const std::string& name : *unfinished)
    Log(LogLevel::kWarn, "bundle load unfinished: start with --load-bundled to finish it",
        {{"scenario", name}});
}

// Written via a temporary file and a rename, so a reader never sees half a port.
bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

int Check(const std::string& address) {
  auto serving = demarche::services::ProbeHealth(address, "", std::chrono::seconds(3));
  if (!serving.ok()) {
    std::fprintf(stderr, "demarched --check %s: %s\n", address.c_str(),
                 Str(serving.status()).c_str());
    return 1;
  }
  if (!*serving) {
    std::printf("NOT_SERVING\n");
    return 1;
  }
  // Reads are served either way: a read-only server is still healthy, but
  // says so.
  auto writes = demarche::services::ProbeHealth(address, demarche::services::kWritesHealthName,
                                                std::chrono::seconds(3));
  const bool read_only = writes.ok() && !*writes;
  std::printf("SERVING%s\n",
              read_only ? " (read-only: appends are refused; `demarche status` says why)" : "");
  return 0;
}

// Tokens and TLS from the flags. On a non-loopback address, refuses to run
// without tokens, or with tokens in clear text, unless --allow-insecure.
bool Secure(const Flags& flags, demarche::services::ServerOptions* options) {
  using demarche::services::TokenTable;
  if (!flags.tokens_file.empty()) {
    auto tokens = TokenTable::Load(flags.tokens_file);
    if (!tokens.ok()) {
      Log(LogLevel::kError, "cannot load tokens",
          {{"tokens_file", flags.tokens_file}, {"error", Str(tokens.status())}});
      return false;
    }
    options->tokens = std::make_shared<const TokenTable>(*std::move(tokens));
  }
  if (!flags.tls_cert.empty()) {
    auto credentials = demarche::services::TlsCredentials(flags.tls_cert, flags.tls_key);
    if (!credentials.ok()) {
      Log(LogLevel::kError, "cannot load TLS certificate", {{"error", Str(credentials.status())}});
      return false;
    }
    options->credentials = *credentials;
  }
  const bool loopback = demarche::services::IsLoopbackListen(flags.listen);
  if (!loopback && !flags.allow_insecure) {
    if (options->tokens == nullptr) {
      Log(LogLevel::kError,
          "refusing to start: a non-loopback address without --tokens-file lets anyone who "
          "reaches it write to the ledger; give --tokens-file (and --tls-cert/--tls-key), or "
          "--allow-insecure on a network you trust",
          {{"listen", flags.listen}});
      return false;
    }
    if (options->credentials == nullptr) {
      Log(LogLevel::kError,
          "refusing to start: bearer tokens would cross the network in clear text; give "
          "--tls-cert and --tls-key, or --allow-insecure on a network you trust",
          {{"listen", flags.listen}});
      return false;
    }
  }
  Log(LogLevel::kInfo, "access",
      {{"auth", options->tokens ? "tokens" : "none"},
       {"tokens", std::to_string(options->tokens ? options->tokens->size() : 0)},
       {"principal", options->tokens ? "" : flags.principal},
       {"tls", options->credentials ? "true" : "false"},
       {"loopback", loopback ? "true" : "false"}});
  return true;
}

// The checkpoint signing key from --signing-key, created on first start.
bool Signing(const Flags& flags, demarche::ledger::Options* options) {
  std::string path = flags.signing_key;
  if (path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.data_dir, ec);
    path = (std::filesystem::path(flags.data_dir) / "signing.key").string();
  }
  auto signer = demarche::services::LoadOrCreateSigningKey(path, flags.key_name);
  if (!signer.ok()) {
    Log(LogLevel::kError, "cannot load the signing key", {{"error", Str(signer.status())}});
    return false;
  }
  Log(LogLevel::kInfo, "signing checkpoints",
      {{"signing_key", path}, {"verifier_key", signer->verifier().Key()}});
  options->checkpoint_signer = std::make_shared<const demarche::tlog::Signer>(*std::move(signer));
  return true;
}

int Serve(const Flags& flags, const sigset_t& signals) {
  Log(LogLevel::kInfo, "starting",
      {{"listen", flags.listen},
       {"data_dir", flags.data_dir},
       {"sync", flags.no_sync ? "false" : "true"},
       {"pid", std::to_string(getpid())}});
  // Before the data dir is touched: a refused start leaves nothing behind.
  demarche::services::ServerOptions options;
  if (!Secure(flags, &options)) return 1;
  demarche::ledger::Options ledger_options;
  ledger_options.sync = !flags.no_sync;
  ledger_options.min_free_disk_bytes = static_cast<uint64_t>(flags.min_free_disk_mb * (1 << 20));
  if (!flags.no_signing && !Signing(flags, &ledger_options)) return 1;
  auto ledger = demarche::ledger::Ledger::Open(flags.data_dir, ledger_options);
  if (!ledger.ok()) {
    Log(LogLevel::kError, "cannot open data dir",
        {{"data_dir", flags.data_dir}, {"error", Str(ledger.status())}});
    return 1;
  }
  if (flags.load_bundled) {
    if (!LoadBundled(**ledger, flags)) return 1;
  } else {
    WarnUnfinishedLoads(**ledger);
  }

  options.listen = flags.listen;
  options.local_principal = flags.principal;
  options.max_receive_message_bytes = flags.max_message_mb << 20;
  options.release_memory_every =
      std::chrono::milliseconds(static_cast<int64_t>(flags.release_memory_every_s * 1000));
  auto server = demarche::services::Server::Start(ledger->get(), options);
  if (!server.ok()) {
    Log(LogLevel::kError, "cannot start server",
        {{"listen", flags.listen}, {"error", Str(server.status())}});
    return 1;
  }
  if (!flags.port_file.empty() && !WritePortFile(flags.port_file, (*server)->port())) {
    Log(LogLevel::kError, "cannot write port file", {{"port_file", flags.port_file}});
    return 1;
  }
  Log(LogLevel::kInfo, "serving",
      {{"address", (*server)->address()}, {"port", std::to_string((*server)->port())}});

  int sig = 0;
  sigwait(&signals, &sig);
  const auto grace = std::chrono::milliseconds(static_cast<int64_t>(flags.shutdown_grace_s * 1000));
  Log(LogLevel::kInfo, "shutting down",
      {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"},
       {"grace_ms", std::to_string(grace.count())}});
  // A second signal means "now": skip the grace period.
  std::thread([signals] {
    int again = 0;
    sigwait(&signals, &again);
    Log(LogLevel::kWarn, "second signal: exiting without a graceful shutdown");
    std::_Exit(130);
  }).detach();
  auto start = std::chrono::steady_clock::now();
  (*server)->Shutdown(grace);
  server->reset();
  ledger->reset();  // flushes and closes RocksDB
  if (!flags.port_file.empty()) std::remove(flags.port_file.c_str());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  Log(LogLevel::kInfo, "stopped", {{"ms", std::to_string(ms)}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "demarched: the demarche gRPC server. Serves scenarios, ledger, branches, replay and "
      "audit (package demarche.v1), plus grpc.health.v1 and server reflection, over an "
      "embedded RocksDB data directory. Logs key=value lines to stderr; stops gracefully on "
      "SIGTERM or SIGINT.",
      "demarched"};
  app.add_option("--listen", flags.listen, "Address to listen on, host:port (port 0 = any free)")
      ->capture_default_str();
  app.add_option("--data-dir", flags.data_dir, "RocksDB data directory; created if missing")
      ->capture_default_str();
  app.add_flag("--load-bundled", flags.load_bundled,
               "Load the bundled Six Party Talks record and its example branches at start-up "
               "unless they are loaded already (a load cut short is resumed)");
  app.add_option("--bundle-dir", flags.bundle_dir,
                 "Bundle to load with --load-bundled (default: data/six-party-talks, found "
                 "next to the executable or in the source tree)");
  app.add_flag("--no-sync", flags.no_sync,
               "Do not fsync the write-ahead log on every append (faster, loses the last "
               "appends on power failure)");
  app.add_option("--port-file", flags.port_file,
                 "Write the bound port to this file once serving (for --listen host:0); "
                 "removed on clean shutdown");
  app.add_option("--principal", flags.principal,
                 "Principal recorded as recorded_by/owner when --tokens-file is not given "
                 "(every call then acts as this curator), and for --load-bundled")
      ->capture_default_str();
  app.add_option("--tokens-file", flags.tokens_file,
                 "Require bearer tokens: a file of `<token> <principal> <role>` lines (role "
                 "reader, analyst or curator; tokens of 16+ characters; # comments)");
  auto* cert = app.add_option("--tls-cert", flags.tls_cert,
                              "Serve TLS with this PEM certificate chain (needs --tls-key)");
  auto* key = app.add_option("--tls-key", flags.tls_key, "PEM private key of --tls-cert");
  cert->needs(key);
  key->needs(cert);
  app.add_flag("--allow-insecure", flags.allow_insecure,
               "Allow a non-loopback --listen address without --tokens-file or without TLS "
               "(only on a network you trust)");
  app.add_option("--shutdown-grace", flags.shutdown_grace_s,
                 "Seconds in-flight calls get to finish on SIGTERM/SIGINT")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--max-message-mb", flags.max_message_mb, "Largest request accepted, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--release-memory-every", flags.release_memory_every_s,
                 "Seconds between handing freed heap memory back to the system (0 = never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--min-free-disk-mb", flags.min_free_disk_mb,
                 "Refuse writes (RESOURCE_EXHAUSTED, read-only) while the data directory's "
                 "filesystem has less free space than this, in MiB; they resume by themselves "
                 "once space is freed (0 = only when the disk is full)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1048576.0));
  app.add_option("--signing-key", flags.signing_key,
                 "File of the Ed25519 key that signs checkpoints (C2SP signed note); created "
                 "with mode 0600 if missing (default: signing.key in --data-dir)");
  app.add_option("--key-name", flags.key_name,
                 "Name of a key created now, the first part of every checkpoint's origin "
                 "(default: demarche-<8 random hex digits>)");
  app.add_flag("--no-signing", flags.no_signing, "Sign no checkpoints (GetCheckpoint refused)");
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--check", flags.check,
                 "Do not serve: ask the server at this host:port for its health and exit 0 if "
                 "SERVING, 1 otherwise (for container health checks)");
  CLI11_PARSE(app, argc, argv);

  LogLevel level = LogLevel::kInfo;
  demarche::services::ParseLogLevel(flags.log_level, &level);
  demarche::services::SetLogLevel(level);
  if (!flags.check.empty()) return Check(flags.check);

  // Blocked before any thread starts, so only sigwait() ever sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return Serve(flags, signals);
}
