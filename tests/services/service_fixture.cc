#include "service_fixture.h"

#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "ledger/date.h"

namespace demarche::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() /
          fmt::format("demarche-services-{}-{}", getpid(), counter.fetch_add(1));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

v1::PartialDate Date(const std::string& text) {
  auto date = ledger::ParseDate(text);
  EXPECT_TRUE(date.ok()) << text;
  return date.ok() ? *date : v1::PartialDate();
}

v1::Event MakeEvent(const std::string& id, const std::string& date, std::vector<std::string> actor,
                    std::vector<std::string> recipients, const std::string& move) {
  v1::Event e;
  e.set_id(id);
  *e.mutable_occurred() = Date(date);
  for (auto& a : actor) e.add_actor(a);
  for (auto& r : recipients) e.add_recipients(r);
  v1::Move* m = e.mutable_move();
  if (move == "proposal") {
    m->mutable_proposal()->set_issue("dprk-nuclear-programme");
    m->mutable_proposal()->set_title("package deal " + id);
  } else if (move == "demand") {
    m->mutable_demand()->set_issue("dprk-nuclear-programme");
    m->mutable_demand()->set_text("dismantle first");
  } else if (move == "consult") {
    m->mutable_consult()->set_kind(v1::CONSULT_KIND_BILATERAL);
    m->mutable_consult()->set_place("Beijing");
  } else {
    m->mutable_statement()->set_issue("dprk-nuclear-programme");
    m->mutable_statement()->set_stance(v1::STANCE_SUPPORT);
    m->mutable_statement()->set_position("statement " + id);
  }
  v1::Source* s = e.add_sources();
  s->set_document("test document");
  s->set_quote("a verbatim quote");
  e.set_summary("event " + id);
  return e;
}

std::vector<uint64_t> Seqs(const std::vector<v1::Event>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq());
  return out;
}

void ServiceTest::SetUp() {
  ledger::Options options;
  options.sync = false;  // tests need no fsync; durability is the ledger's tests' job
  options.checkpoint_signer = signer_;
  auto ledger = ledger::Ledger::Open((dir_.path() / "data").string(), options);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  ledger_ = std::move(*ledger);
  StartServer();
}

void ServiceTest::TearDown() {
  StopServer();
  ledger_.reset();
}

void ServiceTest::StartServer(services::ServerOptions options) {
  options.listen = "127.0.0.1:0";
  auto server = services::Server::Start(ledger_.get(), options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  scenarios_ = v1::ScenarioService::NewStub(channel_);
  ledger_stub_ = v1::LedgerService::NewStub(channel_);
  branches_ = v1::BranchService::NewStub(channel_);
  replay_ = v1::ReplayService::NewStub(channel_);
  audit_ = v1::AuditService::NewStub(channel_);
}

void ServiceTest::StopServer() {
  if (server_) server_->Shutdown(std::chrono::seconds(5));
  server_.reset();
}

std::unique_ptr<grpc::ClientContext> ServiceTest::Ctx(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

v1::Scenario ServiceTest::CreateScenario(const std::string& name) {
  v1::CreateScenarioRequest request;
  request.mutable_scenario()->set_name(name);
  request.mutable_scenario()->set_title("Test talks");
  for (const char* code : {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"}) {
    v1::Party* p = request.mutable_scenario()->add_roster();
    p->set_code(code);
    p->set_name(code);
    p->set_kind(v1::PARTY_KIND_STATE);
  }
  v1::Scenario response;
  grpc::Status status = scenarios_->CreateScenario(Ctx().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

grpc::Status ServiceTest::Append(const std::string& branch, const std::vector<v1::Event>& events,
                                 v1::AppendResponse* response,
                                 std::optional<uint64_t> expected_head,
                                 const std::string& scenario) {
  v1::AppendRequest request;
  request.set_scenario(scenario);
  request.set_branch(branch);
  for (const auto& e : events) *request.add_events() = e;
  if (expected_head) request.set_expected_head(*expected_head);
  return ledger_stub_->Append(Ctx().get(), request, response);
}

v1::AppendResponse ServiceTest::MustAppend(const std::string& branch,
                                           const std::vector<v1::Event>& events,
                                           std::optional<uint64_t> expected_head,
                                           const std::string& scenario) {
  v1::AppendResponse response;
  grpc::Status status = Append(branch, events, &response, expected_head, scenario);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

void ServiceTest::AppendNumbered(int n, const std::string& branch, int first) {
  std::vector<v1::Event> events;
  for (int i = first; i < first + n; ++i) {
    int day = (i - 1) % 28 + 1, month = ((i - 1) / 28) % 12 + 1;
    events.push_back(MakeEvent(fmt::format("e{}", i), fmt::format("2003-{:02}-{:02}", month, day),
                               {"USA"}, {"PRK"}));
  }
  MustAppend(branch, events);
}

std::vector<v1::Event> ServiceTest::Read(const v1::ReadRequest& request, grpc::Status* status) {
  auto ctx = Ctx();
  auto reader = ledger_stub_->Read(ctx.get(), request);
  std::vector<v1::Event> out;
  v1::Event e;
  while (reader->Read(&e)) out.push_back(e);
  grpc::Status s = reader->Finish();
  if (status != nullptr) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  return out;
}

v1::Branch ServiceTest::MustCreateBranch(const std::string& name, const std::string& parent,
                                         uint64_t after_seq) {
  v1::CreateBranchRequest request;
  request.set_scenario("talks");
  request.set_name(name);
  request.set_parent(parent);
  request.set_after_seq(after_seq);
  request.set_description("what if " + name);
  v1::Branch branch;
  grpc::Status status = branches_->CreateBranch(Ctx().get(), request, &branch);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return branch;
}

uint64_t ServiceTest::Head(const std::string& branch, const std::string& scenario) {
  v1::GetBranchRequest request;
  request.set_scenario(scenario);
  request.set_name(branch);
  v1::Branch b;
  grpc::Status status = branches_->GetBranch(Ctx().get(), request, &b);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return b.head_seq();
}

}  // namespace demarche::testing
