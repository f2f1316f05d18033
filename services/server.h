// The demarche gRPC server: the five services plus standard health checking
// and reflection, over one ledger. demarched runs it from main(); tests start
// it in-process on 127.0.0.1:0.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "replay/replay.h"
#include "services/auth.h"
#include "services/backend.h"
#include "services/memory_release.h"
#include "services/storage_watch.h"

namespace demarche::services {

struct ServerOptions {
  // host:port; port 0 picks a free one (see Server::port()).
  std::string listen = "127.0.0.1:50051";
  // Null = plaintext; TLS with SslServerCredentials (see TlsCredentials).
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Null = no authentication: every call acts as `local_principal` with the
  // curator role. Otherwise every call needs a bearer token of this table.
  std::shared_ptr<const TokenTable> tokens;
  // recorded_by / owner when tokens are off.
  std::string local_principal = "local";
  // Idle server threads kept for bursts of concurrent calls (gRPC sync
  // server MAX_POLLERS; its default of 2 made threads come and go per call).
  int max_idle_threads = 64;
  // Largest request accepted (an Append batch); larger ones get RESOURCE_EXHAUSTED.
  int max_receive_message_bytes = 32 << 20;
  // How often freed heap memory is handed back to the system (0 = never).
  // A whole-state answer on a large branch builds hundreds of MB of small
  // objects; once freed, glibc keeps those pages unless asked to release
  // them, and the server would stay at its peak size while idle.
  std::chrono::milliseconds release_memory_every{5000};
  // How often the ledger's writability is checked for the log and for the
  // "demarche.writes" health entry (StorageWatch).
  std::chrono::milliseconds storage_watch_every{1000};
  replay::EngineOptions engine;
};

// Server credentials for TLS from PEM files (certificate chain and private
// key). NOT_FOUND naming the flag if a file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(
    const std::string& cert_file, const std::string& key_file);

// Whether `listen` (host:port) binds only the loopback interface.
bool IsLoopbackListen(const std::string& listen);

class Server {
 public:
  // Builds and starts the server over `ledger`, which must outlive it.
  // UNAVAILABLE if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ledger::Ledger* ledger,
                                                       const ServerOptions& options);
  ~Server();  // Shutdown(0) if not yet shut down.

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string address() const;  // the listen host with the bound port

  // Graceful stop: health turns NOT_SERVING, new calls are refused,
  // subscriptions end (UNAVAILABLE, with their resume point), in-flight calls
  // get up to `grace` to finish and are then cancelled. Wakes the ledger's
  // waiters (Ledger::Shutdown) but does not close the ledger. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  Server() = default;

  std::string host_;
  int port_ = 0;
  Backend backend_;
  std::unique_ptr<replay::Engine> engine_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
  std::unique_ptr<MemoryReleaser> releaser_;
  std::unique_ptr<StorageWatch> storage_watch_;
};

}  // namespace demarche::services
