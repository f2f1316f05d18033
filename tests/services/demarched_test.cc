// The demarched executable as a child process: flags, the bundled record,
// the port file, --check, SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "service_fixture.h"

extern char** environ;

namespace demarche::testing {
namespace {
namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child process with stdout and stderr in files.
class Process {
 public:
  Process(std::vector<std::string> args, const fs::path& out, const fs::path& err) {
    args.insert(args.begin(), DEMARCHED_PATH);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, DEMARCHED_PATH, &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(5));
    }
  }
  bool started() const { return pid_ > 0; }
  void Signal(int sig) { kill(pid_, sig); }
  // The exit code, or -1 on timeout / abnormal end.
  int Wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = 0;
};

class DemarchedTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) { return dir_.path() / name; }

  // Starts demarched on 127.0.0.1:0 and waits for its port file.
  std::unique_ptr<Process> Start(std::vector<std::string> extra, int* port,
                                 const std::string& log = "err.log") {
    std::vector<std::string> args = {
        "--listen",    "127.0.0.1:0",         "--data-dir", Path("data").string(),
        "--port-file", Path("port").string(), "--no-sync"};
    args.insert(args.end(), extra.begin(), extra.end());
    fs::remove(Path("port"));
    auto p = std::make_unique<Process>(args, Path("out.log"), Path(log));
    EXPECT_TRUE(p->started());
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(Path("port")) && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    *port = std::atoi(Slurp(Path("port")).c_str());
    EXPECT_GT(*port, 0) << Slurp(Path(log));
    return p;
  }

  int Run(std::vector<std::string> args) {
    Process p(std::move(args), Path("run.out"), Path("run.err"));
    return p.Wait(std::chrono::seconds(30));
  }

  TempDir dir_;
};

TEST_F(DemarchedTest, ServesTheBundledRecordAndStopsOnSigterm) {
  int port = 0;
  // No --bundle-dir: found from the executable's location / source tree.
  auto server = Start({"--load-bundled"}, &port);
  ASSERT_GT(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(Run({"--check", address}), 0) << Slurp(Path("run.err"));
  EXPECT_NE(Slurp(Path("run.out")).find("SERVING"), std::string::npos);

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto scenarios = v1::ScenarioService::NewStub(channel);
  auto branches = v1::BranchService::NewStub(channel);
  auto replay = v1::ReplayService::NewStub(channel);
  auto audit = v1::AuditService::NewStub(channel);
  v1::ListScenariosResponse list;
  ASSERT_TRUE(scenarios->ListScenarios(ServiceTest::Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.scenarios_size(), 1);
  EXPECT_EQ(list.scenarios(0).name(), "six-party-talks");

  v1::ListBranchesRequest lb;
  lb.set_scenario("six-party-talks");
  v1::ListBranchesResponse tree;
  ASSERT_TRUE(branches->ListBranches(ServiceTest::Ctx().get(), lb, &tree).ok());
  EXPECT_GE(tree.branches_size(), 3);  // main and the example counterfactuals
  const uint64_t head = tree.branches(0).head_seq();
  EXPECT_GT(head, 40u);

  v1::GetStateRequest state_request;
  state_request.set_scenario("six-party-talks");
  *state_request.mutable_as_of() = Date("2003-12-31");
  v1::ScenarioState state;
  ASSERT_TRUE(replay->GetState(ServiceTest::Ctx().get(), state_request, &state).ok());
  EXPECT_GT(state.events_applied(), 0u);

  v1::VerifyRequest verify;
  verify.set_scenario("six-party-talks");
  v1::VerifyResponse verified;
  ASSERT_TRUE(audit->Verify(ServiceTest::Ctx().get(), verify, &verified).ok());
  EXPECT_TRUE(verified.ok());

  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(std::chrono::seconds(15)), 0);
  const std::string log = Slurp(Path("err.log"));
  EXPECT_NE(log.find("msg=\"bundle loaded\""), std::string::npos) << log;
  EXPECT_NE(log.find("msg=serving"), std::string::npos) << log;
  EXPECT_NE(log.find("msg=\"shutting down\" signal=SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("msg=stopped"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(Path("port")));

  // A restart on the same data keeps it and does not load the bundle twice.
  server = Start({"--load-bundled", "--bundle-dir", DEMARCHE_BUNDLE_DIR}, &port, "err2.log");
  channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  branches = v1::BranchService::NewStub(channel);
  ASSERT_TRUE(branches->ListBranches(ServiceTest::Ctx().get(), lb, &tree).ok());
  EXPECT_EQ(tree.branches(0).head_seq(), head);
  server->Signal(SIGINT);
  EXPECT_EQ(server->Wait(std::chrono::seconds(15)), 0);
  EXPECT_NE(Slurp(Path("err2.log")).find("bundle skipped"), std::string::npos);
}

TEST_F(DemarchedTest, HelpDocumentsEveryFlag) {
  EXPECT_EQ(Run({"--help"}), 0);
  const std::string help = Slurp(Path("run.out"));
  for (const char* flag : {"--listen", "--data-dir", "--load-bundled", "--bundle-dir", "--no-sync",
                           "--port-file", "--principal", "--shutdown-grace", "--max-message-mb",
                           "--log-level", "--check", "127.0.0.1:50051", "./demarche-data"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag << "\n" << help;
  }
}

TEST_F(DemarchedTest, StartUpFailuresAreReportedWithAnExitCode) {
  int port = 0;
  auto server = Start({}, &port);
  ASSERT_GT(port, 0);
  // Same port: refused, not silently shared.
  EXPECT_EQ(
      Run({"--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", Path("other").string()}),
      1);
  EXPECT_NE(Slurp(Path("run.err")).find("cannot start server"), std::string::npos)
      << Slurp(Path("run.err"));
  // Same data dir: RocksDB's lock keeps a second server out.
  EXPECT_EQ(Run({"--listen", "127.0.0.1:0", "--data-dir", Path("data").string()}), 1);
  EXPECT_NE(Slurp(Path("run.err")).find("cannot open data dir"), std::string::npos)
      << Slurp(Path("run.err"));
  // A bundle that is not there.
  EXPECT_EQ(Run({"--listen", "127.0.0.1:0", "--data-dir", Path("fresh").string(), "--load-bundled",
                 "--bundle-dir", Path("missing").string()}),
            1);
  EXPECT_NE(Run({"--no-such-flag"}), 0);
  EXPECT_NE(Run({"--log-level", "loud"}), 0);
  // Nothing listens here any more once stopped: --check says so.
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(std::chrono::seconds(15)), 0);
  EXPECT_EQ(Run({"--check", "127.0.0.1:" + std::to_string(port)}), 1);
}

}  // namespace
}  // namespace demarche::testing
