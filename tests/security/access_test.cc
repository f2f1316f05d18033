// Bearer tokens and roles through a real server (in-process, 127.0.0.1:0, a
// real RocksDB in a temp dir): who may call what, branch ownership, and that
// recorded_by is the authenticated principal. Every refused call must leave
// the ledger exactly as it was.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "process.h"
#include "services/server.h"

namespace demarche::reliability {
namespace {

constexpr char kReader[] = "reader-token-4f1c9a7e2b";
constexpr char kBob[] = "analyst-token-bob-93d0c1";
constexpr char kCarol[] = "analyst-token-carol-5e8a";
constexpr char kCurator[] = "curator-token-dana-7c2f6";

// ClientContext with a deadline and, unless `token` is empty, the bearer token.
std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto ctx = Ctx();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

template <typename Reader, typename Message>
grpc::Status Drain(Reader reader, Message* message) {
  while (reader->Read(message)) {
  }
  return reader->Finish();
}

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = ledger::Ledger::Open((dir_.path() / "data").string(), {});
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = std::move(*opened);
    auto tokens = services::TokenTable::Parse(
        fmt::format("{} alice reader\n{} bob analyst\n{} carol analyst\n{} dana curator\n", kReader,
                    kBob, kCarol, kCurator),
        "tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    services::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tokens = std::make_shared<const services::TokenTable>(*std::move(tokens));
    auto server = services::Server::Start(ledger_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(server_->address());

    // The curator sets up a scenario with two events on main.
    v1::CreateScenarioRequest create;
    create.mutable_scenario()->set_name("talks");
    for (const std::string& code : kRoster) create.mutable_scenario()->add_roster()->set_code(code);
    v1::Scenario scenario;
    ASSERT_TRUE(client_->scenarios->CreateScenario(As(kCurator).get(), create, &scenario).ok());
    EXPECT_EQ(scenario.created_by(), "dana");
    ASSERT_TRUE(AppendAs(kCurator, "main",
                         {Statement("m1", Day(2003, 8, 27), "PRK", true),
                          Statement("m2", Day(2003, 8, 28), "USA", true)})
                    .ok());
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Shutdown(std::chrono::milliseconds(0));
  }

  grpc::Status AppendAs(const std::string& token, const std::string& branch,
                        const std::vector<v1::Event>& events, v1::AppendResponse* out = nullptr) {
    v1::AppendRequest request;
    request.set_scenario("talks");
    request.set_branch(branch);
    for (const v1::Event& e : events) *request.add_events() = e;
    v1::AppendResponse response;
    return client_->ledger->Append(As(token).get(), request, out ? out : &response);
  }

  grpc::Status CreateBranchAs(const std::string& token, const std::string& name,
                              v1::Branch* out = nullptr) {
    v1::CreateBranchRequest request;
    request.set_scenario("talks");
    request.set_name(name);
    request.set_description("premise");
    v1::Branch branch;
    return client_->branches->CreateBranch(As(token).get(), request, out ? out : &branch);
  }

  Dump Snapshot() {
    Dump dump;
    std::string error;
    EXPECT_TRUE(DumpLedger(*ledger_, &dump, &error)) << error;
    return dump;
  }

  // Every RPC of the five services, called with `token` (empty = none).
  std::vector<std::pair<std::string, std::function<grpc::Status()>>> EveryRpc(
      const std::string& token) {
    Client& c = *client_;
    return {
        {"CreateScenario",
         [&c, token] {
           v1::CreateScenarioRequest r;
           r.mutable_scenario()->set_name("other");
           r.mutable_scenario()->add_roster()->set_code("USA");
           v1::Scenario out;
           return c.scenarios->CreateScenario(As(token).get(), r, &out);
         }},
        {"GetScenario",
         [&c, token] {
           v1::GetScenarioRequest r;
           r.set_name("talks");
           v1::Scenario out;
           return c.scenarios->GetScenario(As(token).get(), r, &out);
         }},
        {"ListScenarios",
         [&c, token] {
           v1::ListScenariosResponse out;
           return c.scenarios->ListScenarios(As(token).get(), {}, &out);
         }},
        {"Append",
         [this, token] {
           return AppendAs(token, "main", {Statement("x", Day(2004, 1, 1), "USA", true)});
         }},
        {"AppendStream",
         [&c, token] {
           auto ctx = As(token);
           auto stream = c.ledger->AppendStream(ctx.get());
           v1::AppendRequest r;
           r.set_scenario("talks");
           r.set_branch("main");
           *r.add_events() = Statement("y", Day(2004, 1, 2), "USA", true);
           stream->Write(r);
           stream->WritesDone();
           v1::AppendResponse out;
           return Drain(stream.get(), &out);
         }},
        {"Read",
         [&c, token] {
           v1::ReadRequest r;
           r.set_scenario("talks");
           auto ctx = As(token);
           v1::Event e;
           return Drain(c.ledger->Read(ctx.get(), r), &e);
         }},
        {"Subscribe",
         [&c, token] {
           v1::SubscribeRequest r;
           r.set_scenario("talks");
           auto ctx = As(token);
           ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
           v1::Event e;
           return Drain(c.ledger->Subscribe(ctx.get(), r), &e);
         }},
        {"GetEvent",
         [&c, token] {
           v1::GetEventRequest r;
           r.set_scenario("talks");
           r.set_seq(1);
           v1::Event out;
           return c.ledger->GetEvent(As(token).get(), r, &out);
         }},
        {"CreateBranch", [this, token] { return CreateBranchAs(token, "what-if"); }},
        {"GetBranch",
         [&c, token] {
           v1::GetBranchRequest r;
           r.set_scenario("talks");
           r.set_name("main");
           v1::Branch out;
           return c.branches->GetBranch(As(token).get(), r, &out);
         }},
        {"ListBranches",
         [&c, token] {
           v1::ListBranchesRequest r;
           r.set_scenario("talks");
           v1::ListBranchesResponse out;
           return c.branches->ListBranches(As(token).get(), r, &out);
         }},
        {"CompareBranches",
         [&c, token] {
           v1::CompareBranchesRequest r;
           r.set_scenario("talks");
           r.set_a("main");
           v1::CompareBranchesResponse out;
           return c.branches->CompareBranches(As(token).get(), r, &out);
         }},
        {"GetState",
         [&c, token] {
           v1::GetStateRequest r;
           r.set_scenario("talks");
           v1::ScenarioState out;
           return c.replay->GetState(As(token).get(), r, &out);
         }},
        {"Timeline",
         [&c, token] {
           v1::TimelineRequest r;
           r.set_scenario("talks");
           auto ctx = As(token);
           v1::TimelineStep step;
           return Drain(c.replay->Timeline(ctx.get(), r), &step);
         }},
        {"Diff",
         [&c, token] {
           v1::DiffRequest r;
           r.set_scenario("talks");
           v1::StateDiff out;
           return c.replay->Diff(As(token).get(), r, &out);
         }},
        {"Verify",
         [&c, token] {
           v1::VerifyRequest r;
           r.set_scenario("talks");
           v1::VerifyResponse out;
           return c.audit->Verify(As(token).get(), r, &out);
         }},
        {"History",
         [&c, token] {
           v1::HistoryRequest r;
           r.set_scenario("talks");
           auto ctx = As(token);
           v1::HistoryEntry entry;
           return Drain(c.audit->History(ctx.get(), r), &entry);
         }},
    };
  }

  TempDir dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<services::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(AccessTest, EveryRpcWithoutATokenIsUnauthenticatedAndWritesNothing) {
  const Dump before = Snapshot();
  auto rpcs = EveryRpc("");
  EXPECT_EQ(rpcs.size(), 17u);
  for (auto& [name, call] : rpcs) {
    grpc::Status s = call();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << ": " << Describe(s);
    EXPECT_NE(s.error_message().find("authorization: missing"), std::string::npos) << name;
  }
  EXPECT_EQ(CompareDumps(before, Snapshot()), "");
}

TEST_F(AccessTest, UnknownTokensAndOtherSchemesAreUnauthenticated) {
  const Dump before = Snapshot();
  for (auto& [name, call] : EveryRpc("not-a-known-token-123456")) {
    grpc::Status s = call();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << ": " << Describe(s);
    EXPECT_NE(s.error_message().find("unknown or revoked token"), std::string::npos) << name;
  }
  // The right secret under another scheme, or a token with a trailing space.
  for (const std::string& header :
       {std::string("Basic ") + kCurator, std::string("Bearer ") + kCurator + " ",
        std::string(kCurator)}) {
    auto ctx = Ctx();
    ctx->AddMetadata("authorization", header);
    v1::ListScenariosResponse out;
    grpc::Status s = client_->scenarios->ListScenarios(ctx.get(), {}, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << header;
  }
  EXPECT_EQ(CompareDumps(before, Snapshot()), "");
}

// RFC 7235: the auth scheme is case-insensitive, and one or more spaces
// separate it from the token.
TEST_F(AccessTest, TheBearerSchemeIsCaseInsensitive) {
  for (const std::string& header :
       {std::string("bearer ") + kCurator, std::string("BEARER ") + kCurator,
        std::string("BeArEr   ") + kCurator}) {
    auto ctx = Ctx();
    ctx->AddMetadata("authorization", header);
    v1::ListScenariosResponse out;
    grpc::Status s = client_->scenarios->ListScenarios(ctx.get(), {}, &out);
    EXPECT_TRUE(s.ok()) << header << ": " << Describe(s);
  }
  for (const std::string& header :
       {std::string("Bearers ") + kCurator, std::string("Bearer"), std::string("Bearer ")}) {
    auto ctx = Ctx();
    ctx->AddMetadata("authorization", header);
    v1::ListScenariosResponse out;
    EXPECT_EQ(client_->scenarios->ListScenarios(ctx.get(), {}, &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << header;
  }
}

TEST_F(AccessTest, ReaderReadsReplaysAndVerifiesButWritesNothing) {
  const Dump before = Snapshot();
  const std::set<std::string> writes = {"CreateScenario", "Append", "AppendStream", "CreateBranch"};
  for (auto& [name, call] : EveryRpc(kReader)) {
    grpc::Status s = call();
    if (writes.count(name)) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name << ": " << Describe(s);
      EXPECT_NE(s.error_message().find("alice (reader) may not"), std::string::npos)
          << name << ": " << s.error_message();
    } else if (name == "Subscribe") {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << Describe(s);
    } else {
      EXPECT_TRUE(s.ok()) << name << ": " << Describe(s);
    }
  }
  EXPECT_EQ(CompareDumps(before, Snapshot()), "");
}

TEST_F(AccessTest, AnalystCreatesBranchesAndAppendsOnlyToItsOwn) {
  v1::Branch bob_branch;
  ASSERT_TRUE(CreateBranchAs(kBob, "bob-what-if", &bob_branch).ok());
  EXPECT_EQ(bob_branch.owner(), "bob");
  ASSERT_TRUE(CreateBranchAs(kCarol, "carol-what-if").ok());

  v1::AppendResponse appended;
  grpc::Status s =
      AppendAs(kBob, "bob-what-if", {Statement("b1", Day(2003, 9, 1), "USA", false)}, &appended);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(appended.events(0).recorded_by(), "bob");

  const Dump before = Snapshot();
  s = AppendAs(kBob, "main", {Statement("b2", Day(2003, 9, 2), "USA", true)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(s.error_message().find("may not append to main"), std::string::npos) << Describe(s);
  s = AppendAs(kBob, "carol-what-if", {Statement("b3", Day(2003, 9, 3), "USA", false)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(s.error_message().find("owned by carol"), std::string::npos) << Describe(s);
  s = AppendAs(kCarol, "bob-what-if", {Statement("c1", Day(2003, 9, 3), "USA", false)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  // Asking for a branch that does not exist is NOT_FOUND, for analysts too.
  s = AppendAs(kCarol, "nowhere", {Statement("c2", Day(2003, 9, 3), "USA", false)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  v1::CreateScenarioRequest create;
  create.mutable_scenario()->set_name("bobs");
  create.mutable_scenario()->add_roster()->set_code("USA");
  v1::Scenario scenario;
  s = client_->scenarios->CreateScenario(As(kBob).get(), create, &scenario);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(s.error_message().find("needs role curator"), std::string::npos) << Describe(s);
  EXPECT_EQ(CompareDumps(before, Snapshot()), "");
}

TEST_F(AccessTest, AppendStreamChecksEveryBatchAndKeepsTheEarlierOnes) {
  ASSERT_TRUE(CreateBranchAs(kBob, "bob-stream").ok());
  auto ctx = As(kBob);
  auto stream = client_->ledger->AppendStream(ctx.get());
  v1::AppendRequest own;
  own.set_scenario("talks");
  own.set_branch("bob-stream");
  *own.add_events() = Statement("s1", Day(2003, 10, 1), "USA", false);
  ASSERT_TRUE(stream->Write(own));
  v1::AppendResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.events(0).recorded_by(), "bob");
  const Dump before = Snapshot();
  v1::AppendRequest trunk = own;
  trunk.set_branch("main");
  trunk.mutable_events(0)->CopyFrom(Statement("s2", Day(2003, 10, 2), "USA", true));
  stream->Write(trunk);
  stream->WritesDone();
  grpc::Status s = Drain(stream.get(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(s.error_message().find("batch[1]: branch: bob (analyst) may not append to main"),
            std::string::npos)
      << Describe(s);
  EXPECT_EQ(CompareDumps(before, Snapshot()), "");
}

TEST_F(AccessTest, CuratorAppendsAnywhereAndHistoryShowsWhoRecordedWhat) {
  ASSERT_TRUE(CreateBranchAs(kBob, "bob-what-if").ok());
  ASSERT_TRUE(AppendAs(kBob, "bob-what-if", {Statement("b1", Day(2003, 9, 1), "USA", false)}).ok());
  v1::AppendResponse appended;
  grpc::Status s = AppendAs(kCurator, "bob-what-if",
                            {Statement("d1", Day(2003, 9, 2), "CHN", false)}, &appended);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(appended.events(0).recorded_by(), "dana");
  ASSERT_TRUE(AppendAs(kCurator, "main", {Statement("d2", Day(2003, 9, 3), "CHN", true)}).ok());

  v1::HistoryRequest request;
  request.set_scenario("talks");
  request.set_branch("bob-what-if");
  auto ctx = As(kReader);
  auto reader = client_->audit->History(ctx.get(), request);
  std::vector<std::string> who;
  for (v1::HistoryEntry entry; reader->Read(&entry);)
    who.push_back(entry.id() + ":" + entry.recorded_by());
  ASSERT_TRUE(reader->Finish().ok());
  // The lineage: main's two events up to the fork, then bob's and dana's.
  EXPECT_EQ(who, (std::vector<std::string>{"m1:dana", "m2:dana", "b1:bob", "d1:dana"}));
}

TEST_F(AccessTest, HealthNeedsNoTokenSoProbesWork) {
  auto stub = grpc::health::v1::Health::NewStub(client_->channel);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = stub->Check(Ctx().get(), request, &response);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace demarche::reliability
