// Random, ledger-valid event streams for property tests: every move type,
// mixed date precisions in random (so often backdated) order, references to
// earlier events, corrections and retractions (also of corrections).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "demarche/v1/event.pb.h"

namespace demarche::replay::testing {

class StreamGen {
 public:
  StreamGen(uint64_t seed, std::vector<std::string> roster, std::string id_prefix = "e")
      : rng_(seed), roster_(std::move(roster)), prefix_(std::move(id_prefix)) {}

  // Percentage of corrections among generated events.
  void set_correction_percent(int p) { correction_percent_ = p; }

  // The next event, with seq set (the ledger assigns the same one when the
  // stream is appended in order to a fresh branch).
  v1::Event Next(uint64_t seq) {
    v1::Event e;
    e.set_id(prefix_ + std::to_string(seq));
    e.set_seq(seq);
    *e.mutable_occurred() = Date();
    auto* src = e.add_sources();
    src->set_document("generated");
    src->set_quote("generated");
    e.set_context(v1::CONTEXT_HISTORICAL);
    Parties(&e);
    if (!plain_.empty() && Pct(correction_percent_)) {
      MakeCorrection(&e);
    } else {
      *e.mutable_move() = RandomMove(e.id());
      Remember(e.id(), e.move());
    }
    (e.move().has_correction() ? corrections_ : plain_).push_back(e.id());
    return e;
  }

  std::vector<v1::Event> Take(uint64_t first_seq, int n) {
    std::vector<v1::Event> out;
    for (int i = 0; i < n; ++i) out.push_back(Next(first_seq + static_cast<uint64_t>(i)));
    return out;
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Pct(int p) { return Uniform(0, 99) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int>(v.size()) - 1))];
  }

  v1::PartialDate Date() {
    v1::PartialDate d;
    d.set_year(Uniform(2000, 2003));
    const int p = Uniform(0, 9);
    if (p >= 2) d.set_month(Uniform(1, 12));
    if (p >= 5) d.set_day(Uniform(1, 28));
    return d;
  }

  std::vector<std::string> Subset(int max) {
    std::vector<std::string> all = roster_;
    std::shuffle(all.begin(), all.end(), rng_);
    all.resize(static_cast<size_t>(Uniform(1, max)));
    return all;
  }

  void Parties(v1::Event* e) {
    for (const std::string& a : Subset(2)) e->add_actor(a);
    if (Pct(85))
      for (const std::string& r : Subset(3)) e->add_recipients(r);
  }

  v1::Term Term() {
    v1::Term t;
    t.set_giver(Pick(roster_));
    t.set_receiver(Pick(roster_));
    t.set_what("something");
    if (Pct(50)) {
      t.set_commodity("oil");
      t.set_quantity(1000.0 * Uniform(1, 5));
      t.set_unit("t");
    }
    return t;
  }

  v1::Move RandomMove(const std::string& self) {
    static const std::vector<std::string> kIssues = {"nuclear", "aid", "talks"};
    static const std::vector<std::string> kKeys = {"af", "armistice", "deal"};
    static const std::vector<std::string> kForums = {"spt", "psi"};
    static const std::vector<std::string> kCommodities = {"food", "oil"};
    static const std::vector<std::string> kUnits = {"t", "USD"};
    v1::Move m;
    switch (Uniform(0, 10)) {
      case 0: {
        auto* s = m.mutable_statement();
        s->set_issue(Pick(kIssues));
        s->set_stance(static_cast<v1::Stance>(Uniform(1, 6)));
        s->set_position("words " + self);
        break;
      }
      case 1: {
        auto* d = m.mutable_demand();
        d->set_issue(Pick(kIssues));
        d->set_text("demand " + self);
        if (Pct(50)) *d->add_terms() = Term();
        if (Pct(30)) *d->add_offers() = Term();
        break;
      }
      case 2: {
        auto* p = m.mutable_proposal();
        p->set_issue(Pick(kIssues));
        p->set_title("proposal " + self);
        if (Pct(60)) *p->add_terms() = Term();
        if (Pct(30)) p->add_conditions("if so");
        if (!proposals_.empty() && Pct(30)) p->set_supersedes(Pick(proposals_));
        break;
      }
      case 3: {
        if (offers_.empty()) return RandomMove(self);
        auto* r = m.mutable_response();
        r->set_target(Pick(offers_));
        r->set_kind(static_cast<v1::ResponseKind>(Uniform(1, 3)));
        break;
      }
      case 4: {
        auto* a = m.mutable_agreement();
        a->set_action(static_cast<v1::AgreementAction>(Pct(60) ? 1 : Uniform(2, 3)));
        a->set_agreement(Pick(kKeys));
        if (Pct(50)) a->set_title("title " + self);
        if (Pct(30)) *a->add_terms() = Term();
        break;
      }
      case 5: {
        auto* c = m.mutable_consult();
        c->set_kind(static_cast<v1::ConsultKind>(Uniform(1, 6)));
        if (Pct(40)) c->set_forum(Pick(kForums));
        break;
      }
      case 6: {
        auto* a = m.mutable_aid();
        const bool delivery = Pct(40);
        a->set_action(delivery ? v1::AID_ACTION_DELIVERY : v1::AID_ACTION_PLEDGE);
        a->set_commodity(Pick(kCommodities));
        a->set_quantity(Pct(15) ? 0.0 : 250.0 * Uniform(1, 8));
        a->set_unit(Pick(kUnits));
        if (delivery && !pledges_.empty() && Pct(50)) a->set_pledge(Pick(pledges_));
        break;
      }
      case 7: {
        auto* c = m.mutable_concede();
        c->set_kind(static_cast<v1::ConcedeKind>(Uniform(1, 7)));
        c->set_what("concession " + self);
        break;
      }
      case 8: {
        auto* s = m.mutable_sanction();
        s->set_action(Pct(60) ? v1::SANCTION_ACTION_IMPOSE : v1::SANCTION_ACTION_LIFT);
        s->set_measure(Pick(kKeys));
        if (Pct(50)) s->set_description("measure " + self);
        break;
      }
      case 9: {
        auto* f = m.mutable_forum();
        f->set_action(Pct(65) ? v1::FORUM_ACTION_JOIN : v1::FORUM_ACTION_LEAVE);
        f->set_forum(Pick(kForums));
        break;
      }
      default:
        m.mutable_conflict()->set_kind(static_cast<v1::ConflictKind>(Uniform(1, 6)));
        break;
    }
    if (Pct(15)) m.set_cameo_code(Pick(std::vector<std::string>{"036", "046", "12", "190", "99"}));
    if (Pct(10)) m.set_weight(Uniform(-20, 20) / 2.0);
    return m;
  }

  void Remember(const std::string& id, const v1::Move& m) {
    if (m.has_proposal()) proposals_.push_back(id);
    if (m.has_proposal() || m.has_demand()) offers_.push_back(id);
    if (m.has_aid() && m.aid().action() == v1::AID_ACTION_PLEDGE) pledges_.push_back(id);
  }

  void MakeCorrection(v1::Event* e) {
    auto* c = e->mutable_move()->mutable_correction();
    c->set_reason("generated");
    const bool of_correction = !corrections_.empty() && Pct(20);
    c->set_target(of_correction ? Pick(corrections_) : Pick(plain_));
    if (of_correction || Pct(35)) {
      c->set_retract(true);
      return;
    }
    bool any = false;
    if (Pct(50)) {
      *c->mutable_occurred() = Date();
      any = true;
    }
    if (Pct(30)) {
      for (const std::string& a : Subset(2)) c->add_actor(a);
      any = true;
    }
    if (Pct(30)) {
      for (const std::string& r : Subset(3)) c->add_recipients(r);
      any = true;
    }
    if (!any || Pct(40)) *c->mutable_move() = RandomMove(e->id());
  }

  std::mt19937_64 rng_;
  std::vector<std::string> roster_;
  std::string prefix_;
  int correction_percent_ = 8;
  std::vector<std::string> plain_, corrections_, proposals_, offers_, pledges_;
};

}  // namespace demarche::replay::testing
