#include "bench/generator.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace demarche::bench {
namespace {

constexpr const char* kKindNames[kMoveKinds] = {"statement", "demand",  "proposal", "response",
                                                "agreement", "consult", "aid",      "concede",
                                                "sanction",  "forum",   "conflict", "correction"};

const std::vector<std::string> kSixParties = {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"};
const std::vector<std::string> kIssues = {
    "dprk-nuclear-programme", "heu-programme",      "us-security-assurances",
    "energy-assistance",      "abductees",          "normalisation",
    "light-water-reactors",   "sanctions-relief",   "non-aggression-treaty",
    "verification",           "missile-moratorium", "humanitarian-aid"};
const std::vector<std::string> kCommodities = {"heavy fuel oil", "food grain", "fertiliser",
                                               "electricity",    "USD",        "rice"};
const std::vector<std::string> kUnits = {"t", "t", "t", "MW", "USD", "t"};
const std::vector<std::string> kPlaces = {"Beijing", "Pyongyang",  "Seoul",  "Tokyo",
                                          "Moscow",  "Washington", "Geneva", "New York"};
const std::vector<std::string> kForums = {"six-party-talks", "psi", "trilateral-talks", "kedo",
                                          "four-party-talks"};
const std::vector<std::string> kModes = {"economic", "humanitarian", "military", "diplomatic"};
const std::vector<std::string> kWords = {"the",
                                         "talks",
                                         "nuclear",
                                         "programme",
                                         "freeze",
                                         "dismantle",
                                         "verifiable",
                                         "security",
                                         "assurance",
                                         "package",
                                         "deal",
                                         "delegation",
                                         "round",
                                         "bilateral",
                                         "demanded",
                                         "offered",
                                         "rejected",
                                         "insisted",
                                         "energy",
                                         "aid",
                                         "heavy",
                                         "fuel",
                                         "oil",
                                         "food",
                                         "sanctions",
                                         "Pyongyang",
                                         "Washington",
                                         "Beijing",
                                         "Tokyo",
                                         "Seoul",
                                         "Moscow",
                                         "agreed",
                                         "framework",
                                         "inspection",
                                         "uranium",
                                         "enrichment",
                                         "plutonium",
                                         "reactor",
                                         "Yongbyon",
                                         "summit",
                                         "abductees",
                                         "families",
                                         "normalise",
                                         "relations",
                                         "hostile",
                                         "policy",
                                         "complete",
                                         "irreversible",
                                         "first",
                                         "step",
                                         "reward",
                                         "simultaneous",
                                         "action",
                                         "statement",
                                         "position",
                                         "proposal",
                                         "response",
                                         "negotiate",
                                         "multilateral",
                                         "framework",
                                         "of",
                                         "and",
                                         "to",
                                         "in",
                                         "a",
                                         "on",
                                         "for",
                                         "with",
                                         "its",
                                         "would",
                                         "not",
                                         "until",
                                         "then",
                                         "only",
                                         "after",
                                         "before",
                                         "without",
                                         "any",
                                         "conditions",
                                         "guarantee",
                                         "written",
                                         "non-aggression",
                                         "treaty",
                                         "light-water",
                                         "reactors",
                                         "KEDO",
                                         "suspend",
                                         "resume",
                                         "withdraw",
                                         "NPT",
                                         "IAEA",
                                         "inspectors",
                                         "expelled",
                                         "seals",
                                         "removed",
                                         "missile",
                                         "moratorium",
                                         "tests",
                                         "economic",
                                         "cooperation",
                                         "assistance",
                                         "pledged",
                                         "delivered",
                                         "tonnes",
                                         "grain",
                                         "million",
                                         "dollars",
                                         "envoy",
                                         "vice",
                                         "minister",
                                         "foreign",
                                         "ministry",
                                         "spokesman",
                                         "announced"};

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

size_t WordCount(const std::string& s) {
  size_t n = 0;
  bool in = false;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

}  // namespace

const char* MoveKindName(MoveKind kind) { return kKindNames[static_cast<int>(kind)]; }

// The default mix, modelled on how the Six Party Talks record reads: mostly
// stances (statements, including denials), meetings and rounds of talks,
// demands and offers with their answers; fewer aid pledges, concessions and
// signed agreements; rare sanctions, forum changes and corrections. Summaries
// are one sentence, quotes one or two sentences of the source.
Mix DefaultMix() {
  Mix m;
  m.weight = {/*statement*/ 22, /*demand*/ 12,  /*proposal*/ 11, /*response*/ 10,
              /*agreement*/ 4,  /*consult*/ 16, /*aid*/ 6,       /*concede*/ 5,
              /*sanction*/ 2,   /*forum*/ 3,    /*conflict*/ 8,  /*correction*/ 1};
  return m;
}

absl::StatusOr<Mix> CalibrateMix(const std::string& jsonl_path) {
  std::ifstream in(jsonl_path);
  if (!in) return absl::NotFoundError(fmt::format("cannot open {}", jsonl_path));
  Mix m = DefaultMix();
  m.weight.fill(0);
  uint64_t n = 0, summary_words = 0, quotes = 0, quote_words = 0, second_actor = 0;
  uint64_t no_recipient = 0, recipients = 0, with_recipients = 0, day = 0, month = 0;
  uint64_t span = 0, terms = 0, term_holders = 0, bytes = 0;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    v1::Event e;
    if (!google::protobuf::util::JsonStringToMessage(line, &e, opts).ok()) continue;
    if (e.move().kind_case() == v1::Move::KIND_NOT_SET) continue;
    ++n;
    m.weight[e.move().kind_case() - 1] += 1;
    summary_words += WordCount(e.summary());
    for (const auto& s : e.sources()) {
      ++quotes;
      quote_words += WordCount(s.quote());
    }
    if (e.actor_size() > 1) ++second_actor;
    if (e.recipients_size() == 0) {
      ++no_recipient;
    } else {
      ++with_recipients;
      recipients += e.recipients_size();
    }
    if (e.occurred().day() != 0) {
      ++day;
    } else if (e.occurred().month() != 0) {
      ++month;
    }
    if (e.occurred_end().year() != 0) ++span;
    const auto& mv = e.move();
    int t = -1;
    if (mv.has_proposal()) t = mv.proposal().terms_size();
    if (mv.has_demand()) t = mv.demand().terms_size() + mv.demand().offers_size();
    if (mv.has_agreement()) t = mv.agreement().terms_size();
    if (t >= 0) {
      ++term_holders;
      terms += t;
    }
    bytes += e.ByteSizeLong();
  }
  if (n == 0) return absl::InvalidArgumentError(fmt::format("no event in {}", jsonl_path));
  const auto ratio = [](uint64_t a, uint64_t b, double fallback) {
    return b == 0 ? fallback : static_cast<double>(a) / static_cast<double>(b);
  };
  const Mix d = DefaultMix();
  m.summary_words = std::max(1.0, ratio(summary_words, n, d.summary_words));
  m.quote_words = std::max(1.0, ratio(quote_words, quotes, d.quote_words));
  m.p_second_actor = ratio(second_actor, n, d.p_second_actor);
  m.p_no_recipient = ratio(no_recipient, n, d.p_no_recipient);
  m.mean_recipients = std::max(1.0, ratio(recipients, with_recipients, d.mean_recipients));
  m.p_day = ratio(day, n, d.p_day);
  m.p_month = ratio(month, n, d.p_month);
  m.p_span = ratio(span, n, d.p_span);
  m.mean_terms = std::max(1.0, ratio(terms, term_holders, d.mean_terms));
  m.mean_sources = std::clamp(ratio(quotes, n, d.mean_sources), 1.0, 2.0);
  m.origin = jsonl_path;
  m.calibrated_events = n;
  m.mean_event_bytes = ratio(bytes, n, 0);
  // Match the record's event size: our words are not its words, so scale the
  // free text (summary and quotes, in their measured proportion).
  const double text_words = m.summary_words + m.quote_words * m.mean_sources;
  const double quote_share = m.quote_words * m.mean_sources / text_words;
  for (int round = 0; round < 4; ++round) {
    GeneratorOptions g;
    g.mix = m;
    g.events = 2000;
    g.seed = 7;
    Generator gen(g);
    double sample = 0;
    for (int i = 0; i < 2000; ++i) sample += static_cast<double>(gen.Next().ByteSizeLong());
    sample /= 2000;
    const double extra_words = (m.mean_event_bytes - sample) / 7.5;  // ~7.5 bytes a word
    m.quote_words = std::max(1.0, m.quote_words + extra_words * quote_share / m.mean_sources);
    m.summary_words = std::max(1.0, m.summary_words + extra_words * (1 - quote_share));
  }
  return m;
}

std::string DescribeMix(const Mix& mix) {
  double total = 0;
  for (double w : mix.weight) total += w;
  std::string out;
  for (int k = 0; k < kMoveKinds; ++k) {
    out += fmt::format("{}{} {:.0f}%", k ? ", " : "", kKindNames[k],
                       total > 0 ? 100 * mix.weight[k] / total : 0.0);
  }
  out += fmt::format(
      "; summary {:.0f} words, quote {:.0f} words, {:.2f} sources, second actor {:.0f}%, no "
      "recipient {:.0f}%, "
      "{:.1f} recipients, day/month/year precision {:.0f}/{:.0f}/{:.0f}%, spans {:.0f}%, "
      "{:.1f} terms; from {}",
      mix.summary_words, mix.quote_words, mix.mean_sources, 100 * mix.p_second_actor,
      100 * mix.p_no_recipient, mix.mean_recipients, 100 * mix.p_day, 100 * mix.p_month,
      100 * std::max(0.0, 1 - mix.p_day - mix.p_month), 100 * mix.p_span, mix.mean_terms,
      mix.origin);
  if (mix.calibrated_events) {
    out +=
        fmt::format(" ({} events, {:.0f} bytes each)", mix.calibrated_events, mix.mean_event_bytes);
  }
  return out;
}

Generator::Generator(GeneratorOptions options)
    : options_(std::move(options)), state_(options_.seed * 0x9E3779B97F4A7C15ULL + 1) {
  const int n = std::max(1, options_.parties);
  for (int i = 0; i < n; ++i) {
    codes_.push_back(i < 6 ? kSixParties[i] : fmt::format("P{:02}", i + 1));
  }
  double sum = 0;
  for (int k = 0; k < kMoveKinds; ++k) {
    double w = std::max(0.0, options_.mix.weight[k]);
    // A response needs an earlier proposal or demand, a correction an
    // earlier event: both fall back to a fresh move when there is none.
    sum += w;
    cumulative_[k] = sum;
  }
  if (sum <= 0) {
    cumulative_.fill(0);
    cumulative_[0] = 1;
  }
  first_day_ = DaysFromCivil(options_.start_year, 1, 1);
  last_day_ = DaysFromCivil(std::max(options_.start_year, options_.end_year), 12, 31);
}

uint64_t Generator::Rand() {  // splitmix64
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Generator::Uniform() { return static_cast<double>(Rand() >> 11) * 0x1.0p-53; }

uint64_t Generator::Below(uint64_t n) { return n == 0 ? 0 : Rand() % n; }

int Generator::Count(double mean) {
  // Uniform on [1, 2*mean - 1]: mean `mean`, never zero.
  const int hi = std::max(1, static_cast<int>(std::lround(2 * mean - 1)));
  return 1 + static_cast<int>(Below(static_cast<uint64_t>(hi)));
}

MoveKind Generator::PickKind() {
  const double x = Uniform() * cumulative_[kMoveKinds - 1];
  for (int k = 0; k < kMoveKinds; ++k) {
    if (x < cumulative_[k]) return static_cast<MoveKind>(k);
  }
  return MoveKind::kStatement;
}

std::string Generator::MakeId(uint64_t index) const {
  return fmt::format("{}-{:08}", options_.id_prefix, index);
}

std::string Generator::Words(double mean) {
  const int lo = std::max(1, static_cast<int>(mean / 2));
  const int n = lo + static_cast<int>(Below(static_cast<uint64_t>(std::max(1.0, mean))));
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out += ' ';
    out += Pick(kWords);
  }
  return out;
}

const std::string& Generator::Pick(const std::vector<std::string>& from) {
  return from[Below(from.size())];
}

void Generator::SetDate(v1::Event& e) {
  const uint64_t total = std::max<uint64_t>(1, options_.events);
  const int64_t range = last_day_ - first_day_;
  int64_t day = first_day_ + static_cast<int64_t>(static_cast<double>(range) *
                                                  std::min(1.0, static_cast<double>(produced_) /
                                                                    static_cast<double>(total)));
  if (day > first_day_ && Uniform() < options_.backdate_fraction) {
    day = first_day_ + static_cast<int64_t>(Below(static_cast<uint64_t>(day - first_day_)));
  }
  int y, m, d;
  CivilFromDays(day, y, m, d);
  auto* o = e.mutable_occurred();
  o->set_year(y);
  const double p = Uniform();
  if (p < options_.mix.p_day) {
    o->set_month(m);
    o->set_day(d);
    if (Uniform() < options_.mix.p_span) {
      int ey, em, ed;
      CivilFromDays(day + 1 + static_cast<int64_t>(Below(5)), ey, em, ed);
      auto* end = e.mutable_occurred_end();
      end->set_year(ey);
      end->set_month(em);
      end->set_day(ed);
    }
  } else if (p < options_.mix.p_day + options_.mix.p_month) {
    o->set_month(m);
  }
}

void Generator::FillTerm(v1::Term* t, int giver, int receiver) {
  t->set_giver(codes_[giver]);
  if (receiver >= 0 && receiver != giver) t->set_receiver(codes_[receiver]);
  if (Uniform() < 0.5) {
    const size_t c = Below(kCommodities.size());
    t->set_commodity(kCommodities[c]);
    t->set_unit(kUnits[c]);
    t->set_quantity(static_cast<double>(1 + Below(50)) * 10000);
    t->set_what(fmt::format("deliver {} {} of {}", t->quantity(), t->unit(), t->commodity()));
  } else {
    t->set_what(Words(6));
    t->set_issue(Pick(kIssues));
  }
}

void Generator::FillPlainMove(MoveKind kind, v1::Move* m, int actor, int recipient) {
  const int other = recipient >= 0 ? recipient : actor;
  switch (kind) {
    case MoveKind::kStatement: {
      auto* s = m->mutable_statement();
      s->set_issue(Pick(kIssues));
      s->set_stance(static_cast<v1::Stance>(1 + Below(6)));
      s->set_position(Words(10));
      break;
    }
    case MoveKind::kDemand: {
      auto* d = m->mutable_demand();
      d->set_issue(Pick(kIssues));
      d->set_text(Words(12));
      const int n = Count(options_.mix.mean_terms);
      for (int i = 0; i < n; ++i) {
        if (i % 2 == 0) {
          FillTerm(d->add_terms(), other, actor);
        } else {
          FillTerm(d->add_offers(), actor, other);
        }
      }
      break;
    }
    case MoveKind::kProposal: {
      auto* p = m->mutable_proposal();
      p->set_issue(Pick(kIssues));
      p->set_title(Words(3));
      const int n = Count(options_.mix.mean_terms);
      for (int i = 0; i < n; ++i) {
        if (i % 2 == 0) {
          FillTerm(p->add_terms(), actor, other);
        } else {
          FillTerm(p->add_terms(), other, actor);
        }
      }
      if (Uniform() < 0.5) p->add_conditions(Words(8));
      break;
    }
    case MoveKind::kAgreement: {
      auto* a = m->mutable_agreement();
      a->set_action(Uniform() < 0.8 ? v1::AGREEMENT_ACTION_SIGN : v1::AGREEMENT_ACTION_WITHDRAW);
      a->set_agreement(fmt::format("agreement-{}", Below(40)));
      a->set_title(Words(4));
      const int n = Count(options_.mix.mean_terms);
      for (int i = 0; i < n; ++i)
        FillTerm(a->add_terms(), i % 2 ? other : actor, i % 2 ? actor : other);
      break;
    }
    case MoveKind::kConsult: {
      auto* c = m->mutable_consult();
      c->set_kind(static_cast<v1::ConsultKind>(1 + Below(6)));
      if (Uniform() < 0.5) c->set_forum(Pick(kForums));
      c->set_place(Pick(kPlaces));
      c->set_topic(Words(6));
      break;
    }
    case MoveKind::kAid: {
      auto* a = m->mutable_aid();
      a->set_action(v1::AID_ACTION_PLEDGE);
      const size_t c = Below(kCommodities.size());
      a->set_commodity(kCommodities[c]);
      a->set_quantity(static_cast<double>(1 + Below(50)) * 10000);
      a->set_unit(kUnits[c]);
      a->set_mode(Pick(kModes));
      break;
    }
    case MoveKind::kConcede: {
      auto* c = m->mutable_concede();
      c->set_kind(static_cast<v1::ConcedeKind>(1 + Below(7)));
      c->set_issue(Pick(kIssues));
      c->set_what(Words(8));
      if (c->kind() == v1::CONCEDE_KIND_RELEASE) {
        c->set_quantity(static_cast<double>(1 + Below(8)));
        c->set_unit("persons");
      }
      break;
    }
    case MoveKind::kSanction: {
      auto* s = m->mutable_sanction();
      s->set_action(Uniform() < 0.7 ? v1::SANCTION_ACTION_IMPOSE : v1::SANCTION_ACTION_LIFT);
      s->set_measure(fmt::format("measure-{}", Below(20)));
      s->set_description(Words(8));
      break;
    }
    case MoveKind::kForum: {
      auto* f = m->mutable_forum();
      f->set_action(Uniform() < 0.8 ? v1::FORUM_ACTION_JOIN : v1::FORUM_ACTION_LEAVE);
      f->set_forum(Pick(kForums));
      break;
    }
    case MoveKind::kConflict:
    default: {
      auto* c = m->mutable_conflict();
      c->set_kind(static_cast<v1::ConflictKind>(1 + Below(6)));
      c->set_mode(Pick(kModes));
      c->set_issue(Pick(kIssues));
      c->set_text(Words(10));
      break;
    }
  }
}

void Generator::FillMove(MoveKind kind, v1::Event& e, int actor, int recipient) {
  auto* m = e.mutable_move();
  if (kind == MoveKind::kResponse && open_offers_.empty()) kind = MoveKind::kProposal;
  if (kind == MoveKind::kCorrection && produced_ == 0) kind = MoveKind::kStatement;
  switch (kind) {
    case MoveKind::kResponse: {
      const Ref ref = open_offers_[Below(open_offers_.size())];
      // A recipient answers (or the maker withdraws): rewrite the parties.
      const bool withdraw = ref.recipient < 0 || Uniform() < 0.1;
      e.clear_actor();
      e.clear_recipients();
      e.add_actor(codes_[withdraw ? ref.actor : ref.recipient]);
      if (!withdraw) e.add_recipients(codes_[ref.actor]);
      auto* r = m->mutable_response();
      r->set_target(MakeId(ref.index));
      r->set_kind(withdraw           ? v1::RESPONSE_KIND_WITHDRAW
                  : Uniform() < 0.45 ? v1::RESPONSE_KIND_ACCEPT
                                     : v1::RESPONSE_KIND_REJECT);
      r->set_reason(Words(8));
      return;
    }
    case MoveKind::kCorrection: {
      auto* c = m->mutable_correction();
      c->set_target(MakeId(Below(produced_)));
      c->set_reason(Words(8));
      if (Uniform() < 0.3) {
        c->set_retract(true);
      } else {
        FillPlainMove(MoveKind::kStatement, c->mutable_move(), actor, recipient);
      }
      return;
    }
    case MoveKind::kAid:
      FillPlainMove(kind, m, actor, recipient);
      if (!pledges_.empty() && Uniform() < 0.4) {
        m->mutable_aid()->set_action(v1::AID_ACTION_DELIVERY);
        m->mutable_aid()->set_pledge(MakeId(pledges_[Below(pledges_.size())]));
      } else {
        pledges_.push_back(produced_);
      }
      return;
    case MoveKind::kProposal:
    case MoveKind::kDemand:
      FillPlainMove(kind, m, actor, recipient);
      open_offers_.push_back({produced_, actor, recipient});
      return;
    default:
      FillPlainMove(kind, m, actor, recipient);
  }
}

v1::Event Generator::Next() {
  v1::Event e;
  const Mix& mix = options_.mix;
  e.set_id(MakeId(produced_));
  SetDate(e);
  const int n = static_cast<int>(codes_.size());
  const int actor = static_cast<int>(Below(n));
  e.add_actor(codes_[actor]);
  if (n > 1 && Uniform() < mix.p_second_actor) {
    e.add_actor(codes_[(actor + 1 + Below(n - 1)) % n]);
  }
  int first_recipient = -1;
  if (n > 1 && Uniform() >= mix.p_no_recipient) {
    const int k = std::min(n - 1, Count(mix.mean_recipients));
    const int start = static_cast<int>(Below(n - 1));
    for (int i = 0; i < k; ++i) {
      const int r = (actor + 1 + (start + i) % (n - 1)) % n;
      if (first_recipient < 0) first_recipient = r;
      e.add_recipients(codes_[r]);
    }
  }
  const MoveKind kind = PickKind();
  FillMove(kind, e, actor, first_recipient);
  auto* s = e.add_sources();
  s->set_document("Quinones 2004, North Korea's Multilateral Strategy in the Six Party Talks");
  s->set_locator(fmt::format("para {}", 1 + Below(60)));
  s->set_quote(Words(mix.quote_words));
  if (Uniform() < mix.mean_sources - 1) {
    auto* s2 = e.add_sources();
    s2->set_document(fmt::format("public source {}", Below(200)));
    s2->set_locator(fmt::format("p. {}", 1 + Below(300)));
    s2->set_quote(Words(mix.quote_words));
  }
  e.set_context(options_.hypothetical ? v1::CONTEXT_HYPOTHETICAL : v1::CONTEXT_HISTORICAL);
  e.set_summary(Words(mix.summary_words));
  ++produced_;
  return e;
}

std::vector<v1::Event> Generator::NextBatch(size_t n) {
  std::vector<v1::Event> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(Next());
  return out;
}

v1::Scenario Generator::MakeScenario(const std::string& name) const {
  v1::Scenario s;
  s.set_name(name);
  s.set_title(fmt::format("synthetic scenario, {} parties", codes_.size()));
  s.set_description("generated by demarche bench/generator");
  for (size_t i = 0; i < codes_.size(); ++i) {
    auto* p = s.add_roster();
    p->set_code(codes_[i]);
    p->set_name(i < 6 ? std::string(kSixParties[i]) : fmt::format("Party {}", i + 1));
    p->set_kind(v1::PARTY_KIND_STATE);
  }
  return s;
}

}  // namespace demarche::bench
