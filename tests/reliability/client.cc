#include "client.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "ledger/ledger.h"
#include "services/health_probe.h"

namespace demarche::reliability {

Client::Client(const std::string& address_, bool small_window) : address(address_) {
  grpc::ChannelArguments args;
  if (small_window) {
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8 << 10);
  }
  // A connection of its own, not one shared with the process's other channels.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  scenarios = v1::ScenarioService::NewStub(channel);
  ledger = v1::LedgerService::NewStub(channel);
  branches = v1::BranchService::NewStub(channel);
  replay = v1::ReplayService::NewStub(channel);
  audit = v1::AuditService::NewStub(channel);
}

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

std::string Describe(const grpc::Status& status) {
  return fmt::format("{}: {}", static_cast<int>(status.error_code()), status.error_message());
}

grpc::Status CreateScenario(Client& c, const std::string& name) {
  v1::CreateScenarioRequest request;
  request.mutable_scenario()->set_name(name);
  request.mutable_scenario()->set_title("reliability " + name);
  for (const std::string& code : kRoster) {
    v1::Party* p = request.mutable_scenario()->add_roster();
    p->set_code(code);
    p->set_name(code);
    p->set_kind(v1::PARTY_KIND_STATE);
  }
  v1::Scenario created;
  return c.scenarios->CreateScenario(Ctx().get(), request, &created);
}

v1::PartialDate Day(int year, int month, int day) {
  v1::PartialDate d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

namespace {

v1::Event Base(const std::string& id, const std::string& actor, bool for_main) {
  v1::Event e;
  e.set_id(id);
  *e.mutable_occurred() = Day(2003, 8, 27);
  e.add_actor(actor);
  if (for_main) {
    v1::Source* s = e.add_sources();
    s->set_document("reliability test");
    s->set_quote("a quote for " + id);
    e.set_context(v1::CONTEXT_HISTORICAL);
  } else {
    e.set_context(v1::CONTEXT_HYPOTHETICAL);
  }
  e.set_summary("event " + id);
  return e;
}

}  // namespace

v1::Event Statement(const std::string& id, const v1::PartialDate& occurred,
                    const std::string& actor, bool for_main) {
  v1::Event e = Base(id, actor, for_main);
  *e.mutable_occurred() = occurred;
  v1::Statement* s = e.mutable_move()->mutable_statement();
  s->set_issue("dprk-nuclear-programme");
  s->set_stance(v1::STANCE_OPPOSE);
  s->set_position("position of " + id);
  return e;
}

v1::Event Proposal(const std::string& id, const std::string& actor, const std::string& to,
                   bool for_main) {
  v1::Event e = Base(id, actor, for_main);
  e.add_recipients(to);
  v1::Proposal* p = e.mutable_move()->mutable_proposal();
  p->set_issue("dprk-nuclear-programme");
  p->set_title("package deal " + id);
  v1::Term* t = p->add_terms();
  t->set_giver(actor);
  t->set_receiver(to);
  t->set_what("heavy fuel oil");
  t->set_commodity("heavy fuel oil");
  t->set_quantity(500000);
  t->set_unit("t");
  return e;
}

v1::Event ResponseTo(const std::string& id, const std::string& target, const std::string& actor,
                     bool for_main) {
  v1::Event e = Base(id, actor, for_main);
  v1::Response* r = e.mutable_move()->mutable_response();
  r->set_target(target);
  r->set_kind(v1::RESPONSE_KIND_REJECT);
  r->set_reason("not enough");
  return e;
}

v1::Event Retraction(const std::string& id, const std::string& target, bool for_main) {
  v1::Event e = Base(id, "USA", for_main);
  v1::Correction* c = e.mutable_move()->mutable_correction();
  c->set_target(target);
  c->set_retract(true);
  c->set_reason("recorded in error");
  return e;
}

grpc::Status Append(Client& c, const std::string& scenario, const std::string& branch,
                    const std::vector<v1::Event>& events, std::optional<uint64_t> expected_head,
                    v1::AppendResponse* response, std::chrono::milliseconds timeout) {
  v1::AppendRequest request;
  request.set_scenario(scenario);
  request.set_branch(branch);
  for (const v1::Event& e : events) *request.add_events() = e;
  if (expected_head) request.set_expected_head(*expected_head);
  return c.ledger->Append(Ctx(timeout).get(), request, response);
}

grpc::Status GetBranch(Client& c, const std::string& scenario, const std::string& branch,
                       v1::Branch* out) {
  v1::GetBranchRequest request;
  request.set_scenario(scenario);
  request.set_name(branch);
  return c.branches->GetBranch(Ctx().get(), request, out);
}

std::vector<v1::Event> ReadAll(Client& c, const std::string& scenario, const std::string& branch,
                               grpc::Status* status) {
  v1::ReadRequest request;
  request.set_scenario(scenario);
  request.set_branch(branch);
  auto ctx = Ctx(std::chrono::seconds(120));
  auto reader = c.ledger->Read(ctx.get(), request);
  std::vector<v1::Event> out;
  v1::Event e;
  while (reader->Read(&e)) out.push_back(e);
  *status = reader->Finish();
  return out;
}

std::string VerifyAll(Client& c, const std::string& scenario) {
  v1::VerifyRequest request;
  request.set_scenario(scenario);
  v1::VerifyResponse response;
  grpc::Status s = c.audit->Verify(Ctx(std::chrono::seconds(120)).get(), request, &response);
  if (!s.ok()) return "Verify failed: " + Describe(s);
  std::string bad;
  for (const v1::BranchVerification& b : response.branches()) {
    if (!b.ok())
      bad += fmt::format("branch {}: first bad seq {}: {}; ", b.branch(), b.first_bad_seq(),
                         b.reason());
  }
  if (!response.ok() && bad.empty()) bad = "Verify says not ok without naming a branch";
  if (response.ok() && !bad.empty()) bad = "Verify says ok but a branch failed: " + bad;
  return bad;
}

bool Serving(const std::string& address, std::chrono::milliseconds timeout) {
  auto serving = services::ProbeHealth(address, "", timeout);
  return serving.ok() && *serving;
}

size_t Dump::EventCount() const {
  size_t n = 0;
  for (const auto& l : lineages) n += l.size();
  return n;
}

bool DumpViaApi(Client& c, Dump* out, std::string* error) {
  *out = Dump{};
  v1::ListScenariosResponse list;
  grpc::Status s = c.scenarios->ListScenarios(Ctx().get(), {}, &list);
  if (!s.ok()) {
    *error = "ListScenarios: " + Describe(s);
    return false;
  }
  for (const v1::Scenario& sc : list.scenarios()) {
    out->scenarios.push_back(sc);
    v1::ListBranchesRequest lb;
    lb.set_scenario(sc.name());
    v1::ListBranchesResponse branches;
    s = c.branches->ListBranches(Ctx().get(), lb, &branches);
    if (!s.ok()) {
      *error = "ListBranches " + sc.name() + ": " + Describe(s);
      return false;
    }
    for (const v1::Branch& b : branches.branches()) {
      out->branches.push_back(b);
      out->lineages.push_back(ReadAll(c, sc.name(), b.name(), &s));
      if (!s.ok()) {
        *error = fmt::format("Read {}/{}: {}", sc.name(), b.name(), Describe(s));
        return false;
      }
    }
  }
  return true;
}

bool DumpOffline(const std::filesystem::path& data_dir, Dump* out, std::string* error) {
  ledger::Options options;
  options.create_if_missing = false;
  auto opened = ledger::Ledger::Open(data_dir.string(), options);
  if (!opened.ok()) {
    *out = Dump{};
    *error = "Ledger::Open: " + opened.status().ToString();
    return false;
  }
  return DumpLedger(**opened, out, error);
}

bool DumpLedger(ledger::Ledger& l, Dump* out, std::string* error) {
  *out = Dump{};
  auto scenarios = l.ListScenarios();
  if (!scenarios.ok()) {
    *error = "ListScenarios: " + scenarios.status().ToString();
    return false;
  }
  for (const v1::Scenario& sc : *scenarios) {
    out->scenarios.push_back(sc);
    auto branches = l.ListBranches(sc.name());
    if (!branches.ok()) {
      *error = "ListBranches: " + branches.status().ToString();
      return false;
    }
    for (const v1::Branch& b : *branches) {
      out->branches.push_back(b);
      auto it = l.Read(sc.name(), b.name(), {});
      if (!it.ok()) {
        *error = "Read: " + it.status().ToString();
        return false;
      }
      std::vector<v1::Event>& lineage = out->lineages.emplace_back();
      for (; (*it)->Valid(); (*it)->Next()) lineage.push_back((*it)->event());
      if (!(*it)->status().ok()) {
        *error = "Read: " + (*it)->status().ToString();
        return false;
      }
    }
  }
  return true;
}

std::string CompareDumps(const Dump& a, const Dump& b) {
  using google::protobuf::util::MessageDifferencer;
  if (a.scenarios.size() != b.scenarios.size())
    return fmt::format("{} scenarios became {}", a.scenarios.size(), b.scenarios.size());
  for (size_t i = 0; i < a.scenarios.size(); ++i) {
    if (!MessageDifferencer::Equals(a.scenarios[i], b.scenarios[i]))
      return "scenario changed: " + a.scenarios[i].ShortDebugString() + " -> " +
             b.scenarios[i].ShortDebugString();
  }
  if (a.branches.size() != b.branches.size())
    return fmt::format("{} branches became {}", a.branches.size(), b.branches.size());
  for (size_t i = 0; i < a.branches.size(); ++i) {
    const std::string name = a.branches[i].scenario() + "/" + a.branches[i].name();
    if (!MessageDifferencer::Equals(a.branches[i], b.branches[i]))
      return "branch " + name + " changed: " + a.branches[i].ShortDebugString() + " -> " +
             b.branches[i].ShortDebugString();
    const auto& la = a.lineages[i];
    const auto& lb = b.lineages[i];
    if (la.size() != lb.size())
      return fmt::format("branch {}: {} events became {}", name, la.size(), lb.size());
    for (size_t j = 0; j < la.size(); ++j) {
      if (!MessageDifferencer::Equals(la[j], lb[j]))
        return fmt::format("branch {}: event {} changed: {} -> {}", name, j,
                           la[j].ShortDebugString(), lb[j].ShortDebugString());
    }
  }
  return "";
}

}  // namespace demarche::reliability
