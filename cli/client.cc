#include "cli/client.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace demarche::cli {

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kOk;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return kRefused;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kUnavailable;
    default:
      return kOther;
  }
}

Client::Client(const Globals& globals) : g_(globals) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!g_.ca_file.empty()) {
    std::ifstream in(g_.ca_file);
    if (!in) throw CliError(kRefused, fmt::format("--ca-file: cannot read {}", g_.ca_file));
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = pem.str();
    creds = grpc::SslCredentials(opts);
  } else if (g_.tls) {
    creds = grpc::SslCredentials(grpc::SslCredentialsOptions());
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  channel_ = grpc::CreateChannel(g_.server, creds);
  scenarios_ = v1::ScenarioService::NewStub(channel_);
  ledger_ = v1::LedgerService::NewStub(channel_);
  branches_ = v1::BranchService::NewStub(channel_);
  replay_ = v1::ReplayService::NewStub(channel_);
  audit_ = v1::AuditService::NewStub(channel_);
}

void Client::Prepare(grpc::ClientContext& ctx, bool open_ended) const {
  if (g_.timeout > 0 && (!open_ended || g_.timeout_given)) {
    auto ms = std::chrono::milliseconds(static_cast<int64_t>(g_.timeout * 1000));
    ctx.set_deadline(std::chrono::system_clock::now() + ms);
  }
  // Sent as plain metadata so a token also works on a plaintext loopback
  // channel (gRPC refuses call credentials on insecure channels).
  if (!g_.token.empty()) ctx.AddMetadata("authorization", "Bearer " + g_.token);
}

namespace {

std::string HintFor(const grpc::Status& s, const Globals& g) {
  const std::string& m = s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return fmt::format(
          "cannot reach demarched at {} — start it with scripts/run or pass --server "
          "(or set DEMARCHE_SERVER)",
          g.server);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return fmt::format("demarched at {} did not answer within {}s — raise --timeout", g.server,
                         g.timeout);
    case grpc::StatusCode::UNAUTHENTICATED:
      return "pass a token with --token (or set DEMARCHE_TOKEN)";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "the token's role does not allow this; ask a curator or use a branch you own";
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (m.find("roster") != std::string::npos || m.find("not a party") != std::string::npos) {
        return "the parties are listed by `demarche scenarios`";
      }
      return "";
    case grpc::StatusCode::FAILED_PRECONDITION:
      if (m.find("head") != std::string::npos) {
        return "someone appended first: see the head with `demarche branch list`, then retry "
               "with the new --expected-head";
      }
      return "";
    case grpc::StatusCode::NOT_FOUND: {
      // Hint at what went missing: whichever of these the message names first.
      std::pair<size_t, const char*> best{std::string::npos, ""};
      for (auto [word, hint] :
           {std::pair{"event", "find events with `demarche log`"},
            {"branch", "list branches with `demarche branch list`"},
            {"scenario", "list scenarios with `demarche scenarios`, then pass --scenario"}}) {
        size_t at = m.find(word);
        if (at < best.first) best = {at, hint};
      }
      return best.second;
    }
    default:
      return "";
  }
}

}  // namespace

int Client::Fail(const grpc::Status& status, std::string_view doing) const {
  std::string hint = HintFor(status, g_);
  std::string detail = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    // The hint leads; gRPC's own text follows in brackets.
    fmt::print(stderr, "error: {}\n  ({}: {})\n", hint, doing, detail);
  } else {
    if (detail.empty()) detail = fmt::format("status {}", static_cast<int>(status.error_code()));
    fmt::print(stderr, "error: {}: {}\n", doing, detail);
    if (!hint.empty()) fmt::print(stderr, "  hint: {}\n", hint);
  }
  return ExitCodeFor(status.error_code());
}

}  // namespace demarche::cli
