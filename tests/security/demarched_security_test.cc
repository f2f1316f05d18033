// demarched as a real process: TLS with a throwaway certificate made by
// openssl at test time, tokens from a file, ownership across a restart, the
// CLI with --ca-file and --token, and the refusal to listen beyond loopback
// unprotected.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "client.h"
#include "process.h"

namespace demarche::reliability {
namespace {

namespace fs = std::filesystem;

constexpr char kReader[] = "reader-token-4f1c9a7e2b";
constexpr char kBob[] = "analyst-token-bob-93d0c1";
constexpr char kCarol[] = "analyst-token-carol-5e8a";
constexpr char kCurator[] = "curator-token-dana-7c2f6";

// Runs a shell command; its exit code, with stdout+stderr in *output.
int Shell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  output->clear();
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output->append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A self-signed certificate for localhost and 127.0.0.1, and its key.
void MakeCertificate(const fs::path& dir, const std::string& name) {
  std::string output;
  const std::string command = fmt::format(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
      "-keyout '{0}/{1}.key' -out '{0}/{1}.pem'",
      dir.string(), name);
  ASSERT_EQ(Shell(command, &output), 0) << output;
}

class DemarchedSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir_.path(), "server"));
    ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir_.path(), "stranger"));
    WriteFile(tokens_file(), fmt::format("# test tokens\n{} alice reader\n{} bob analyst\n"
                                         "{} carol analyst\n{} dana curator\n",
                                         kReader, kBob, kCarol, kCurator));
  }

  fs::path tokens_file() const { return dir_.path() / "tokens.txt"; }
  fs::path cert() const { return dir_.path() / "server.pem"; }
  fs::path key() const { return dir_.path() / "server.key"; }

  std::vector<std::string> SecureArgs() const {
    return {"--tokens-file", tokens_file().string(), "--tls-cert",    cert().string(),
            "--tls-key",     key().string(),         "--load-bundled"};
  }

  // A process that must refuse to start; returns what it logged.
  std::string MustRefuse(const std::string& listen, std::vector<std::string> args) {
    DemarchedProcess server(dir_.path(), dir_.path() / "refused-data", std::move(args));
    server.set_listen(listen);
    std::string why;
    EXPECT_FALSE(server.Start(std::chrono::seconds(30), &why)) << "started on " << listen;
    EXPECT_NE(why.find("exited (code 1)"), std::string::npos) << why;
    return why;
  }

  static std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const fs::path& ca) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(ca);
    return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
  }

  static grpc::Status ListScenarios(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& token, v1::ListScenariosResponse* out) {
    auto stub = v1::ScenarioService::NewStub(channel);
    auto ctx = Ctx(std::chrono::seconds(5));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return stub->ListScenarios(ctx.get(), {}, out);
  }

  static grpc::Status AppendAs(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& token, const std::string& branch,
                               const v1::Event& event) {
    auto stub = v1::LedgerService::NewStub(channel);
    auto ctx = Ctx();
    ctx->AddMetadata("authorization", "Bearer " + token);
    v1::AppendRequest request;
    request.set_scenario("six-party-talks");
    request.set_branch(branch);
    *request.add_events() = event;
    v1::AppendResponse response;
    return stub->Append(ctx.get(), request, &response);
  }

  TempDir dir_;
};

TEST_F(DemarchedSecurityTest, TlsWithTokensServesTlsClientsOnly) {
  DemarchedProcess server(dir_.path(), dir_.path() / "data", SecureArgs());
  std::string why;
  ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
  EXPECT_NE(server.Stderr().find("auth=tokens"), std::string::npos) << server.StderrTail();
  EXPECT_NE(server.Stderr().find("tls=true"), std::string::npos) << server.StderrTail();

  auto tls = TlsChannel(server.address(), cert());
  v1::ListScenariosResponse list;
  grpc::Status s = ListScenarios(tls, kReader, &list);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(list.scenarios_size(), 1);
  EXPECT_EQ(list.scenarios(0).name(), "six-party-talks");

  s = ListScenarios(tls, "", &list);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  // A plaintext client, and a TLS client that trusts another certificate,
  // never get a connection.
  s = ListScenarios(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()),
                    kReader, &list);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
  s = ListScenarios(TlsChannel(server.address(), dir_.path() / "stranger.pem"), kReader, &list);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
  EXPECT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
}

TEST_F(DemarchedSecurityTest, CliSpeaksTlsWithACaFileAndAToken) {
  DemarchedProcess server(dir_.path(), dir_.path() / "data", SecureArgs());
  std::string why;
  ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
  const std::string cli = fmt::format("'{}' --server {} --ca-file '{}'", DEMARCHE_CLI_PATH,
                                      server.address(), cert().string());
  std::string out;
  EXPECT_EQ(Shell(fmt::format("{} --token {} scenarios", cli, kReader), &out), 0) << out;
  EXPECT_NE(out.find("six-party-talks"), std::string::npos) << out;
  EXPECT_EQ(Shell(fmt::format("{} verify", cli), &out), 4) << out;
  EXPECT_NE(out.find("--token"), std::string::npos) << out;
  EXPECT_EQ(
      Shell(fmt::format("{} --token {} branch create what-if --from main", cli, kReader), &out), 4)
      << out;
  EXPECT_NE(out.find("alice (reader) may not create branches"), std::string::npos) << out;
  EXPECT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
}

TEST_F(DemarchedSecurityTest, OwnershipSurvivesARestart) {
  const fs::path data = dir_.path() / "data";
  {
    DemarchedProcess server(dir_.path(), data, SecureArgs());
    std::string why;
    ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
    auto stub = v1::BranchService::NewStub(TlsChannel(server.address(), cert()));
    auto ctx = Ctx();
    ctx->AddMetadata("authorization", std::string("Bearer ") + kBob);
    v1::CreateBranchRequest request;
    request.set_scenario("six-party-talks");
    request.set_name("bob-premise");
    v1::Branch branch;
    grpc::Status s = stub->CreateBranch(ctx.get(), request, &branch);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
  }
  DemarchedProcess server(dir_.path(), data, SecureArgs());
  std::string why;
  ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
  auto tls = TlsChannel(server.address(), cert());
  grpc::Status s =
      AppendAs(tls, kBob, "bob-premise", Statement("bob-1", Day(2004, 6, 1), "USA", false));
  EXPECT_TRUE(s.ok()) << Describe(s);
  s = AppendAs(tls, kCarol, "bob-premise", Statement("carol-1", Day(2004, 6, 2), "USA", false));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
}

TEST_F(DemarchedSecurityTest, RefusesANonLoopbackAddressWithoutTokens) {
  std::string why = MustRefuse("0.0.0.0:0", {});
  EXPECT_NE(why.find("refusing to start"), std::string::npos) << why;
  EXPECT_NE(why.find("--tokens-file"), std::string::npos) << why;
  EXPECT_FALSE(fs::exists(dir_.path() / "refused-data" / "CURRENT")) << "wrote a data dir";
}

TEST_F(DemarchedSecurityTest, RefusesTokensInClearTextBeyondLoopback) {
  std::string why = MustRefuse("0.0.0.0:0", {"--tokens-file", tokens_file().string()});
  EXPECT_NE(why.find("clear text"), std::string::npos) << why;
}

TEST_F(DemarchedSecurityTest, AllowInsecureIsTheExplicitWayOut) {
  DemarchedProcess server(dir_.path(), dir_.path() / "data", {"--allow-insecure"});
  server.set_listen("0.0.0.0:0");
  std::string why;
  ASSERT_TRUE(server.Start(std::chrono::seconds(60), &why)) << why;
  v1::ListScenariosResponse list;
  grpc::Status s = ListScenarios(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()), "", &list);
  EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(server.Terminate(std::chrono::seconds(30)), 0) << server.StderrTail();
}

TEST_F(DemarchedSecurityTest, BadTokenFilesAndCertificatesStopTheStart) {
  WriteFile(dir_.path() / "bad-tokens.txt", "abcdefghijklmnopqrstuvwxyz bob superuser\n");
  std::string why =
      MustRefuse("127.0.0.1:0", {"--tokens-file", (dir_.path() / "bad-tokens.txt").string()});
  EXPECT_NE(why.find("bad-tokens.txt:1: role \\\"superuser\\\""), std::string::npos) << why;
  why = MustRefuse("127.0.0.1:0", {"--tokens-file", (dir_.path() / "missing.txt").string()});
  EXPECT_NE(why.find("cannot read the token file"), std::string::npos) << why;
  why = MustRefuse("127.0.0.1:0", {"--tls-cert", (dir_.path() / "none.pem").string(), "--tls-key",
                                   key().string()});
  EXPECT_NE(why.find("--tls-cert: cannot read"), std::string::npos) << why;
  // The key of another certificate: the TLS handshake material does not match.
  why = MustRefuse("127.0.0.1:0", {"--tls-cert", cert().string(), "--tls-key",
                                   (dir_.path() / "stranger.key").string()});
  EXPECT_NE(why.find("cannot start server"), std::string::npos) << why;
  std::string out;
  EXPECT_NE(Shell(fmt::format("'{}' --tls-cert '{}'", DemarchedPath(), cert().string()), &out), 0);
  EXPECT_NE(out.find("--tls-key"), std::string::npos) << out;
}

}  // namespace
}  // namespace demarche::reliability
