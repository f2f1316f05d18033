// Terse event construction for replay tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "demarche/v1/event.pb.h"

namespace demarche::replay::testing {

// "2003", "2003-12" or "2003-12-09".
inline v1::PartialDate D(std::string_view s) {
  v1::PartialDate d;
  d.set_year(std::stoi(std::string(s.substr(0, 4))));
  if (s.size() >= 7) d.set_month(std::stoi(std::string(s.substr(5, 2))));
  if (s.size() >= 10) d.set_day(std::stoi(std::string(s.substr(8, 2))));
  return d;
}

inline v1::Term T(std::string giver, std::string receiver, std::string what,
                  std::string commodity = "", double quantity = 0, std::string unit = "") {
  v1::Term t;
  t.set_giver(std::move(giver));
  t.set_receiver(std::move(receiver));
  t.set_what(std::move(what));
  t.set_commodity(std::move(commodity));
  t.set_quantity(quantity);
  t.set_unit(std::move(unit));
  return t;
}

class E {
 public:
  E(std::string id, uint64_t seq, std::string_view date) {
    e_.set_id(std::move(id));
    e_.set_seq(seq);
    *e_.mutable_occurred() = D(date);
    e_.set_scenario("test");
    e_.set_branch("main");
  }
  E& By(std::initializer_list<std::string> actors) {
    for (const auto& a : actors) e_.add_actor(a);
    return *this;
  }
  E& To(std::initializer_list<std::string> recipients) {
    for (const auto& r : recipients) e_.add_recipients(r);
    return *this;
  }
  E& Statement(std::string issue, v1::Stance stance, std::string words = "") {
    auto* s = e_.mutable_move()->mutable_statement();
    s->set_issue(std::move(issue));
    s->set_stance(stance);
    s->set_position(std::move(words));
    return *this;
  }
  E& Demand(std::string issue, std::string text, std::vector<v1::Term> terms = {},
            std::vector<v1::Term> offers = {}) {
    auto* d = e_.mutable_move()->mutable_demand();
    d->set_issue(std::move(issue));
    d->set_text(std::move(text));
    for (auto& t : terms) *d->add_terms() = t;
    for (auto& t : offers) *d->add_offers() = t;
    return *this;
  }
  E& Proposal(std::string issue, std::string title, std::vector<v1::Term> terms = {},
              std::vector<std::string> conditions = {}, std::string supersedes = "") {
    auto* p = e_.mutable_move()->mutable_proposal();
    p->set_issue(std::move(issue));
    p->set_title(std::move(title));
    for (auto& t : terms) *p->add_terms() = t;
    for (auto& c : conditions) p->add_conditions(c);
    p->set_supersedes(std::move(supersedes));
    return *this;
  }
  E& Response(std::string target, v1::ResponseKind kind) {
    auto* r = e_.mutable_move()->mutable_response();
    r->set_target(std::move(target));
    r->set_kind(kind);
    return *this;
  }
  E& Agreement(v1::AgreementAction action, std::string key, std::string title = "") {
    auto* a = e_.mutable_move()->mutable_agreement();
    a->set_action(action);
    a->set_agreement(std::move(key));
    a->set_title(std::move(title));
    return *this;
  }
  E& Consult(v1::ConsultKind kind, std::string forum = "") {
    auto* c = e_.mutable_move()->mutable_consult();
    c->set_kind(kind);
    c->set_forum(std::move(forum));
    return *this;
  }
  E& Aid(v1::AidAction action, std::string commodity, double quantity, std::string unit) {
    auto* a = e_.mutable_move()->mutable_aid();
    a->set_action(action);
    a->set_commodity(std::move(commodity));
    a->set_quantity(quantity);
    a->set_unit(std::move(unit));
    return *this;
  }
  E& Concede(v1::ConcedeKind kind, std::string what) {
    auto* c = e_.mutable_move()->mutable_concede();
    c->set_kind(kind);
    c->set_what(std::move(what));
    return *this;
  }
  E& Sanction(v1::SanctionAction action, std::string measure) {
    auto* s = e_.mutable_move()->mutable_sanction();
    s->set_action(action);
    s->set_measure(std::move(measure));
    return *this;
  }
  E& Forum(v1::ForumAction action, std::string forum) {
    auto* f = e_.mutable_move()->mutable_forum();
    f->set_action(action);
    f->set_forum(std::move(forum));
    return *this;
  }
  E& Conflict(v1::ConflictKind kind) {
    e_.mutable_move()->mutable_conflict()->set_kind(kind);
    return *this;
  }
  E& Retract(std::string target) {
    auto* c = e_.mutable_move()->mutable_correction();
    c->set_target(std::move(target));
    c->set_retract(true);
    c->set_reason("test");
    return *this;
  }
  // A correction of `target`; fill its fields through correction().
  E& Correct(std::string target) {
    auto* c = e_.mutable_move()->mutable_correction();
    c->set_target(std::move(target));
    c->set_reason("test");
    return *this;
  }
  v1::Correction& correction() { return *e_.mutable_move()->mutable_correction(); }
  E& Cameo(std::string code) {
    e_.mutable_move()->set_cameo_code(std::move(code));
    return *this;
  }
  E& Weight(double w) {
    e_.mutable_move()->set_weight(w);
    return *this;
  }
  v1::Event& event() { return e_; }
  operator v1::Event() const { return e_; }  // NOLINT: terse on purpose

 private:
  v1::Event e_;
};

}  // namespace demarche::replay::testing
