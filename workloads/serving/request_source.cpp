#include "workloads/serving/request_source.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim::wl::serving {

LengthSampler::LengthSampler(const LengthDist& d) : d_(d) {
  if (d_.kind == LengthDist::Kind::empirical) cdf_ = sim::EmpiricalCdf(d_.cdf);
}

std::int64_t LengthSampler::sample(sim::RandomStream& r) const {
  double v = 0;
  switch (d_.kind) {
    case LengthDist::Kind::fixed: v = d_.value; break;
    case LengthDist::Kind::uniform: v = static_cast<double>(r.uniform_int(static_cast<std::int64_t>(d_.lo),
                                                                        static_cast<std::int64_t>(d_.hi)));
      break;
    case LengthDist::Kind::lognormal: v = sim::LogNormal::from_median_sigma(d_.median, d_.sigma).sample(r); break;
    case LengthDist::Kind::empirical: v = cdf_.sample(r); break;
  }
  return std::clamp(static_cast<std::int64_t>(std::llround(v)), d_.min, d_.max);
}

double LengthSampler::mean_estimate() const {
  switch (d_.kind) {
    case LengthDist::Kind::fixed: return d_.value;
    case LengthDist::Kind::uniform: return 0.5 * (d_.lo + d_.hi);
    case LengthDist::Kind::lognormal: return d_.median * std::exp(0.5 * d_.sigma * d_.sigma);
    case LengthDist::Kind::empirical: {
      // Mean of the piecewise-linear inverse CDF.
      double m = 0;
      const auto& p = cdf_.points();
      if (!p.empty()) m += p.front().first * p.front().second;
      for (std::size_t i = 1; i < p.size(); ++i) {
        m += 0.5 * (p[i].first + p[i - 1].first) * (p[i].second - p[i - 1].second);
      }
      return m;
    }
  }
  return 0;
}

RequestSource::RequestSource(const ServingWorkload& w, std::uint64_t seed)
    : a_(w.arrivals),
      duration_s_(w.duration_s),
      arrivals_(seed, "serving.arrivals"),
      input_(seed, "serving.input_lengths"),
      output_(seed, "serving.output_lengths"),
      think_(seed, "serving.think_time"),
      classes_(seed, "serving.classes") {
  if (w.classes.empty()) {
    in_.emplace_back(w.input);
    out_.emplace_back(w.output);
    cumulative_share_.push_back(1.0);
  } else {
    double total = 0;
    for (const RequestClass& c : w.classes) total += c.share;
    if (!(total > 0)) throw std::invalid_argument("request class shares must sum to a positive number");
    double sum = 0;
    for (const RequestClass& c : w.classes) {
      in_.emplace_back(c.input);
      out_.emplace_back(c.output);
      sum += c.share;
      cumulative_share_.push_back(sum / total);
    }
    cumulative_share_.back() = 1.0;
  }
  if (a_.kind == ArrivalSpec::Kind::trace) trace_ = std::make_unique<TraceReader>(a_.trace_file, w.class_names());
}

int RequestSource::draw_class() {
  if (cumulative_share_.size() < 2) return 0;
  const double u = classes_.next_double();  // [0, 1)
  for (std::size_t c = 0; c + 1 < cumulative_share_.size(); ++c) {
    if (u < cumulative_share_[c]) return static_cast<int>(c);
  }
  return static_cast<int>(cumulative_share_.size() - 1);
}

void RequestSource::draw_lengths(NewRequest& r) {
  const auto c = static_cast<std::size_t>(r.cls);
  r.input = in_[c].sample(input_);
  r.output = out_[c].sample(output_);
}

std::optional<NewRequest> RequestSource::next() {
  if (a_.requests > 0 && issued_ >= a_.requests) return std::nullopt;
  NewRequest r;
  switch (a_.kind) {
    case ArrivalSpec::Kind::offline:
      r.arrival_s = 0;
      break;
    case ArrivalSpec::Kind::poisson:
      t_ += arrivals_.exponential(1.0 / a_.rate);
      r.arrival_s = t_;
      break;
    case ArrivalSpec::Kind::gamma: {
      // Inter-arrival times Gamma(k = 1/cv^2, theta = cv^2 / rate): mean 1/rate, CV cv.
      const double k = 1.0 / (a_.cv * a_.cv);
      t_ += sim::Gamma(k, 1.0 / (a_.rate * k)).sample(arrivals_);
      r.arrival_s = t_;
      break;
    }
    case ArrivalSpec::Kind::trace: {
      auto tr = trace_->next();
      if (!tr) return std::nullopt;
      r = *tr;
      r.arrival_s *= a_.trace_time_scale;
      break;
    }
    case ArrivalSpec::Kind::closed_loop:
      throw std::logic_error("closed-loop sources are driven by draw()");
  }
  if (a_.kind != ArrivalSpec::Kind::offline && r.arrival_s > duration_s_) return std::nullopt;
  if (r.cls < 0) r.cls = draw_class();
  if (a_.kind != ArrivalSpec::Kind::trace) draw_lengths(r);
  ++issued_;
  return r;
}

NewRequest RequestSource::draw(double now) {
  ++issued_;
  NewRequest r;
  r.arrival_s = now;
  r.cls = draw_class();
  draw_lengths(r);
  return r;
}

double RequestSource::think_time() { return a_.think_time_s > 0 ? think_.exponential(a_.think_time_s) : 0.0; }

}  // namespace dcsim::wl::serving
