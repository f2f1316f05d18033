// grpc_floor_server: the gRPC transport floor for the durable-append workload.
// It serves LedgerService.Append exactly as the client sees it (same request,
// a response of the same shape: seqs, head hash, the event echoed back) but
// stores nothing, so the load against it measures what gRPC itself costs on
// this machine; AppendStream likewise answers each message without storing.
// --callback serves Append with the callback API (as demarched does) instead
// of the sync server. Flags match demarched's so bench/server_process can start
// it the same way.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "demarche/v1/ledger_service.grpc.pb.h"

namespace {

std::atomic<uint64_t> g_seq{0};

void Fill(const demarche::v1::AppendRequest& request, demarche::v1::AppendResponse* response) {
  const uint64_t last = g_seq.fetch_add(static_cast<uint64_t>(request.events_size())) +
                        static_cast<uint64_t>(request.events_size());
  response->set_first_seq(last - static_cast<uint64_t>(request.events_size()) + 1);
  response->set_last_seq(last);
  response->set_head_seq(last);
  response->set_head_hash(std::string(32, '\x5a'));
  if (!request.omit_events()) *response->mutable_events() = request.events();
}

class SyncFloor final : public demarche::v1::LedgerService::Service {
  grpc::Status Append(grpc::ServerContext*, const demarche::v1::AppendRequest* request,
                      demarche::v1::AppendResponse* response) override {
    Fill(*request, response);
    return grpc::Status::OK;
  }
  grpc::Status AppendStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<demarche::v1::AppendResponse, demarche::v1::AppendRequest>* stream)
      override {
    demarche::v1::AppendRequest request;
    while (stream->Read(&request)) {
      demarche::v1::AppendResponse response;
      Fill(request, &response);
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }
};

class CallbackFloor final : public demarche::v1::LedgerService::CallbackService {
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const demarche::v1::AppendRequest* request,
                                   demarche::v1::AppendResponse* response) override {
    Fill(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gRPC transport floor: LedgerService.Append that stores nothing"};
  std::string listen = "127.0.0.1:0", data_dir, port_file, log_level;
  bool callback = false;
  int max_idle_threads = 64;
  app.add_option("--listen", listen, "host:port")->capture_default_str();
  app.add_option("--data-dir", data_dir, "ignored (nothing is stored)");
  app.add_option("--port-file", port_file, "write the bound port here");
  app.add_option("--log-level", log_level, "ignored");
  app.add_flag("--callback", callback, "callback API instead of the sync server");
  app.add_option("--max-idle-threads", max_idle_threads, "sync server MAX_POLLERS")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  SyncFloor sync_service;
  CallbackFloor callback_service;
  grpc::ServerBuilder builder;
  // The same transport settings as demarched (services/server.cc).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, max_idle_threads);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  if (callback) {
    builder.RegisterService(&callback_service);
  } else {
    builder.RegisterService(&sync_service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << fmt::format("cannot listen on {}\n", listen);
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  if (!port_file.empty()) std::ofstream(port_file) << port << "\n";
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}
