#include "services/server.h"

#include <cstdio>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <fmt/format.h>

#include "ledger/file.h"
#include "services/malformed_request.h"
#include "services/services.h"

namespace demarche::services {
namespace {

// Health is reported for the whole server ("") and for each service by its
// full name, so probes may ask either way.
const char* const kServiceNames[] = {
    "demarche.v1.ScenarioService", "demarche.v1.LedgerService", "demarche.v1.BranchService",
    "demarche.v1.ReplayService",   "demarche.v1.AuditService",
};

// "host:port" -> host; "[::1]:0" -> "[::1]".
std::string HostOf(const std::string& listen) {
  size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  absl::StatusOr<std::string> text = ledger::ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(fmt::format("{}: cannot read {}", flag, path));
  if (text->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(fmt::format("{}: {} is not a PEM file", flag, path));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(
    const std::string& cert_file, const std::string& key_file) {
  absl::StatusOr<std::string> cert = ReadPem(cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(key_file, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(ssl);
}

bool IsLoopbackListen(const std::string& listen) {
  std::string host = HostOf(listen);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted quad.
  unsigned a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  return std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 &&
         b < 256 && c < 256 && d < 256;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ledger::Ledger* ledger,
                                                      const ServerOptions& options) {
  if (ledger == nullptr) return absl::InvalidArgumentError("ledger: required");
  std::unique_ptr<Server> server(new Server());
  server->host_ = HostOf(options.listen);
  server->engine_ = std::make_unique<replay::Engine>(ledger, options.engine);
  server->backend_.ledger = ledger;
  server->backend_.engine = server->engine_.get();
  server->backend_.auth = std::make_unique<Authenticator>(options.tokens, options.local_principal);
  Backend* backend = &server->backend_;
  server->services_.push_back(std::make_unique<ScenarioServiceImpl>(backend));
  server->services_.push_back(std::make_unique<LedgerServiceImpl>(backend));
  server->services_.push_back(std::make_unique<BranchServiceImpl>(backend));
  server->services_.push_back(std::make_unique<ReplayServiceImpl>(backend));
  server->services_.push_back(std::make_unique<AuditServiceImpl>(backend));

  // Both must happen before the builder builds (build.md).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second demarched
  // bind the same port silently; a busy port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // The sync server keeps at most MAX_POLLERS idle threads: with the default
  // (2) every burst of concurrent appends (each blocked on the group commit's
  // fsync) created threads and ended them again right after, costing more
  // CPU than the append itself. Keep enough idle threads for such bursts.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_idle_threads);
  // Ping idle connections so a subscriber that vanished without closing its
  // connection (a partition, a killed VM) is noticed and its stream ends.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  // Let long-lived subscribers keep their own connections alive too.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  auto credentials = options.credentials ? options.credentials : grpc::InsecureServerCredentials();
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  for (auto& service : server->services_) builder.RegisterService(service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MalformedRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->server_.reset();
    return absl::UnavailableError(fmt::format(
        "listen: cannot listen on {} (address in use, not local, or malformed{})", options.listen,
        options.credentials ? "; or the TLS key does not match the certificate" : ""));
  }
  if (options.release_memory_every.count() > 0)
    server->releaser_ = std::make_unique<MemoryReleaser>(options.release_memory_every);
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    for (const char* name : kServiceNames) health->SetServingStatus(name, true);
  }
  server->storage_watch_ =
      std::make_unique<StorageWatch>(ledger, health, options.storage_watch_every);
  return server;
}

std::string Server::address() const { return fmt::format("{}:{}", host_, port_); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  storage_watch_.reset();  // it would set "demarche.writes" SERVING again
  // Subscriptions never finish on their own: tell them first, then wake any
  // that are blocked waiting for a new head.
  backend_.stopping.store(true);
  backend_.ledger->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  releaser_.reset();
}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

}  // namespace demarche::services
