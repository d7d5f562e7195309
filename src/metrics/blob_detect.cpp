// Local background and scale-space dark-blob detection (see blob_detect.h).
#include "metrics/blob_detect.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <opencv2/imgproc.hpp>

namespace skintrack::metrics::internal {

void CoarseField::Row(int y, int x0, int x1, float* out) const {
  const int gh = grid.rows, gw = grid.cols;
  const double gy = (y + 0.5) / cell - 0.5;
  int i0 = static_cast<int>(std::floor(gy));
  float ty = static_cast<float>(gy - i0);
  if (i0 < 0) i0 = 0, ty = 0.0f;
  if (i0 >= gh - 1) i0 = gh - 1, ty = 0.0f;
  const float* r0 = grid.ptr<float>(i0);
  const float* r1 = grid.ptr<float>(std::min(i0 + 1, gh - 1));
  for (int x = x0; x < x1; ++x) {
    const double gx = (x + 0.5) / cell - 0.5;
    int j0 = static_cast<int>(std::floor(gx));
    float tx = static_cast<float>(gx - j0);
    if (j0 < 0) j0 = 0, tx = 0.0f;
    if (j0 >= gw - 1) j0 = gw - 1, tx = 0.0f;
    const int j1 = std::min(j0 + 1, gw - 1);
    const float top = r0[j0] + tx * (r0[j1] - r0[j0]);
    const float bottom = r1[j0] + tx * (r1[j1] - r1[j0]);
    out[x - x0] = top + ty * (bottom - top);
  }
}

cv::Mat1f BlockMean(const cv::Mat& src, int factor, const cv::Mat& mask, cv::Mat1f* fraction) {
  factor = std::max(1, factor);
  const int gw = (src.cols + factor - 1) / factor, gh = (src.rows + factor - 1) / factor;
  cv::Mat1f sum(gh, gw, 0.0f), count(gh, gw, 0.0f), inside(gh, gw, 0.0f);
  for (int r = 0; r < src.rows; ++r) {
    const float* row = src.ptr<float>(r);
    const uchar* mr = mask.empty() ? nullptr : mask.ptr<uchar>(r);
    float* s = sum.ptr<float>(r / factor);
    float* n = count.ptr<float>(r / factor);
    float* in = inside.ptr<float>(r / factor);
    for (int x = 0; x < src.cols; ++x) {
      s[x / factor] += row[x];
      n[x / factor] += 1.0f;
      if (mr != nullptr && mr[x] != 0) in[x / factor] += 1.0f;
    }
  }
  if (fraction != nullptr) *fraction = inside / count;
  return sum / count;
}

CoarseField LocalBackground(const cv::Mat& y, const cv::Mat& mask, int cell, double sigma_px,
                            double clip) {
  cell = std::max(1, cell);
  const int gw = (y.cols + cell - 1) / cell, gh = (y.rows + cell - 1) / cell;
  cv::Mat1f sum_in(gh, gw, 0.0f), n_in(gh, gw, 0.0f), sum_all(gh, gw, 0.0f), n_all(gh, gw, 0.0f);
  for (int r = 0; r < y.rows; ++r) {
    const float* yr = y.ptr<float>(r);
    const uchar* mr = mask.empty() ? nullptr : mask.ptr<uchar>(r);
    float* si = sum_in.ptr<float>(r / cell);
    float* ni = n_in.ptr<float>(r / cell);
    float* sa = sum_all.ptr<float>(r / cell);
    float* na = n_all.ptr<float>(r / cell);
    for (int x = 0; x < y.cols; ++x) {
      const int j = x / cell;
      sa[j] += yr[x];
      na[j] += 1.0f;
      if (mr == nullptr || mr[x] != 0) {
        si[j] += yr[x];
        ni[j] += 1.0f;
      }
    }
  }
  // Cell means (of the masked pixels where there are some) and mask weights.
  cv::Mat1f mean_in(gh, gw), mean_all(gh, gw), weight(gh, gw);
  for (int i = 0; i < gh; ++i) {
    for (int j = 0; j < gw; ++j) {
      mean_all(i, j) = sum_all(i, j) / n_all(i, j);
      mean_in(i, j) = n_in(i, j) > 0.0f ? sum_in(i, j) / n_in(i, j) : mean_all(i, j);
      weight(i, j) = n_in(i, j) / n_all(i, j);
    }
  }
  const double s = std::max(0.5, sigma_px / cell);
  auto smooth = [&](const cv::Mat1f& m_in, const cv::Mat1f& m_all) {
    // Normalised convolution G(w m) / G(w), blended with G(m_all) where the mask is absent.
    constexpr float kEps = 1e-3f;
    cv::Mat1f num, den, all, out(gh, gw);
    cv::GaussianBlur(m_in.mul(weight), num, cv::Size(), s, s, cv::BORDER_REFLECT);
    cv::GaussianBlur(weight, den, cv::Size(), s, s, cv::BORDER_REFLECT);
    cv::GaussianBlur(m_all, all, cv::Size(), s, s, cv::BORDER_REFLECT);
    for (int i = 0; i < gh; ++i)
      for (int j = 0; j < gw; ++j)
        out(i, j) = (num(i, j) + kEps * all(i, j)) / (den(i, j) + kEps);
    return out;
  };
  cv::Mat1f first = smooth(mean_in, mean_all);
  const cv::Mat1f floor_level = first * clip;
  cv::Mat1f in2 = cv::max(mean_in, floor_level), all2 = cv::max(mean_all, floor_level);
  CoarseField field;
  field.grid = smooth(in2, all2);
  field.grid = cv::max(field.grid, 1e-6);  // never divide by zero
  field.cell = cell;
  return field;
}

namespace {

// Gaussian blur of `src` by `sigma` px with the right variance also for small sigma: a 3-tap
// [a, 1 - 2a, a] kernel (variance 2a = sigma^2) up to sigma 0.8, sampled Gaussian above.
void Blur(const cv::Mat1f& src, cv::Mat1f& dst, double sigma) {
  if (sigma < 0.05) {
    dst = src.clone();
    return;
  }
  cv::Mat kernel;
  if (sigma <= 0.8) {
    const float a = static_cast<float>(0.5 * sigma * sigma);
    kernel = (cv::Mat_<float>(3, 1) << a, 1.0f - 2.0f * a, a);
  } else {
    kernel = cv::getGaussianKernel(2 * static_cast<int>(std::ceil(3.0 * sigma)) + 1, sigma, CV_32F);
  }
  cv::sepFilter2D(src, dst, CV_32F, kernel, kernel, cv::Point(-1, -1), 0.0, cv::BORDER_REFLECT);
}

// Whether dog[l](i, j) is a strict-in-order maximum of its 3x3x3 neighbourhood: >= every
// neighbour and > the neighbours that precede it in (level, row, column) order, so that a
// plateau yields one maximum.
bool IsMaximum(const std::vector<cv::Mat1f>& dog, int l, int i, int j) {
  const float v = dog[l](i, j);
  for (int dl = -1; dl <= 1; ++dl) {
    const cv::Mat1f& m = dog[l + dl];
    for (int di = -1; di <= 1; ++di) {
      const float* row = m.ptr<float>(i + di);
      for (int dj = -1; dj <= 1; ++dj) {
        if (dl == 0 && di == 0 && dj == 0) continue;
        const float n = row[j + dj];
        const bool before = dl < 0 || (dl == 0 && (di < 0 || (di == 0 && dj < 0)));
        if (before ? !(v > n) : !(v >= n)) return false;
      }
    }
  }
  return true;
}

// Vertex offset of the parabola through (-1, a), (0, b), (1, c), clamped to [-0.5, 0.5].
double ParabolaPeak(double a, double b, double c) {
  const double den = a - 2.0 * b + c;
  if (!(den < 0.0)) return 0.0;
  return std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
}

// Gaussian level g has sigma_a k^g (image px); DoG level d = (G_d - G_{d+1}) / (k - 1) has the
// effective sigma sigma_a k^(d + 1/2). Octave o (pixels of 2^o image px) finds maxima on DoG
// levels d_begin .. d_end (Gaussian levels g_begin .. d_end + 2). Octave 0 runs at full
// resolution up to the level whose sigma reaches 1.6 px; each later octave starts from a
// level of its predecessor subsampled by 2 (its sigma >= 0.8 octave px, so the subsampling
// hardly aliases). Consecutive octaves overlap by one level: the octaves' responses differ
// slightly, and a maximum midway between two levels would otherwise be lost at the seam
// (the duplicates are removed by the callers' non-maximum suppression).
struct OctavePlan {
  int g_begin, d_begin, d_end;
};

std::vector<OctavePlan> PlanOctaves(double sigma_a, double k, int per_octave, int last) {
  int g_base = 0;
  while (sigma_a * std::pow(k, g_base) < 1.6) ++g_base;
  std::vector<OctavePlan> plan{{0, 1, std::max(1, std::min(last, g_base + 1))}};
  while (plan.back().d_end < last) {
    const int g0 = plan.size() == 1 ? g_base : plan.back().g_begin + per_octave;
    plan.push_back({g0, g0 + 1, std::min(last, g0 + per_octave + 1)});
  }
  return plan;
}

}  // namespace

std::vector<BlobCandidate> DetectDarkBlobs(const cv::Mat& y, const CoarseField& background,
                                           const cv::Mat& mask, const BlobScaleSpace& o,
                                           std::vector<double>* level_spread) {
  const int per_octave = std::max(1, o.scales_per_octave);
  const double k = std::pow(2.0, 1.0 / per_octave);
  const double sigma_min = o.radius_min_px / std::sqrt(2.0);
  const double sigma_max = std::max(o.radius_max_px, o.radius_min_px) / std::sqrt(2.0);
  // Maxima are searched on DoG levels 1 .. last: level 1 has the effective sigma sigma_min,
  // level `last` the first >= sigma_max.
  const double sigma_a = sigma_min / std::pow(k, 1.5);
  const int last =
      std::max(1, static_cast<int>(std::ceil(std::log(sigma_max / sigma_a) / std::log(k) - 0.5)));
  const std::vector<OctavePlan> plan = PlanOctaves(sigma_a, k, per_octave, last);
  const int octaves = static_cast<int>(plan.size());
  const int align = 1 << (octaves - 1);
  const double sigma_top = sigma_a * std::pow(k, last + 2);
  int margin = static_cast<int>(std::ceil(3.0 * sigma_top)) + 2 * align + 2;
  margin = (margin + align - 1) / align * align;
  const int tile = std::max(4 * align, (256 + align - 1) / align * align);
  const float norm = static_cast<float>(1.0 / (k - 1.0));

  const int tiles_x = (y.cols + tile - 1) / tile, tiles_y = (y.rows + tile - 1) / tile;
  std::vector<BlobCandidate> found;
  std::vector<std::vector<float>> samples(last + 1);
  std::mutex lock;
  cv::parallel_for_(cv::Range(0, tiles_x * tiles_y), [&](const cv::Range& range) {
    std::vector<BlobCandidate> local;
    std::vector<std::vector<float>> local_samples(last + 1);
    std::vector<float> brow;
    for (int t = range.start; t < range.end; ++t) {
      const cv::Rect core((t % tiles_x) * tile, (t / tiles_x) * tile, tile, tile);
      const cv::Rect ext = cv::Rect(core.x - margin, core.y - margin, tile + 2 * margin,
                                    tile + 2 * margin) &
                           cv::Rect(0, 0, y.cols, y.rows);
      // Weber darkness of the tile.
      cv::Mat1f base(ext.size());
      brow.resize(ext.width);
      for (int r = 0; r < ext.height; ++r) {
        background.Row(ext.y + r, ext.x, ext.x + ext.width, brow.data());
        const float* yr = y.ptr<float>(ext.y + r) + ext.x;
        float* dr = base.ptr<float>(r);
        for (int x = 0; x < ext.width; ++x) dr[x] = 1.0f - yr[x] / brow[x];
      }
      double base_sigma = 0.0;  // blur already in `base`, octave px
      for (int oct = 0; oct < octaves; ++oct) {
        const OctavePlan& p = plan[oct];
        const int step = 1 << oct;
        std::vector<cv::Mat1f> gauss, dog;
        double s_prev = base_sigma;
        for (int g = p.g_begin; g <= p.d_end + 2; ++g) {
          const double s = sigma_a * std::pow(k, g) / step;  // octave px
          cv::Mat1f out;
          Blur(gauss.empty() ? base : gauss.back(), out,
               std::sqrt(std::max(0.0, s * s - s_prev * s_prev)));
          gauss.push_back(out);
          s_prev = s;
        }
        for (size_t g = 0; g + 1 < gauss.size(); ++g) {
          cv::Mat1f d;
          cv::subtract(gauss[g], gauss[g + 1], d);
          dog.push_back(d * norm);
        }
        const int rows = dog[0].rows, cols = dog[0].cols;
        for (int d_global = p.d_begin; d_global <= p.d_end; ++d_global) {
          const int l = d_global - p.g_begin;
          for (int i = 1; i + 1 < rows; ++i) {
            const int fy = ext.y + i * step;
            if (fy < core.y || fy >= core.y + core.height) continue;
            const float* row = dog[l].ptr<float>(i);
            if (fy % 4 == 0) {  // samples of |DoG| for the level's robust spread
              for (int j = 0; j < cols; ++j) {
                const int fx = ext.x + j * step;
                if (fx % 4 == 0 && fx >= core.x && fx < core.x + core.width &&
                    (mask.empty() || mask.at<uchar>(fy, fx) != 0))
                  local_samples[d_global].push_back(std::abs(row[j]));
              }
            }
            for (int j = 1; j + 1 < cols; ++j) {
              if (row[j] < o.min_response) continue;
              const int fx = ext.x + j * step;
              if (fx < core.x || fx >= core.x + core.width) continue;
              if (!mask.empty() && mask.at<uchar>(fy, fx) == 0) continue;
              if (!IsMaximum(dog, l, i, j)) continue;
              const double ox = ParabolaPeak(row[j - 1], row[j], row[j + 1]);
              const double oy = ParabolaPeak(dog[l](i - 1, j), row[j], dog[l](i + 1, j));
              const double os = ParabolaPeak(dog[l - 1](i, j), row[j], dog[l + 1](i, j));
              BlobCandidate c;
              c.x = ext.x + (j + ox) * step;
              c.y = ext.y + (i + oy) * step;
              c.radius = std::sqrt(2.0) * sigma_a * std::pow(k, d_global + 0.5 + os);
              c.response = row[j];
              c.level = d_global;
              local.push_back(c);
            }
          }
        }
        if (oct + 1 < octaves) {
          // Next octave's base: its first level, every other pixel.
          const cv::Mat1f& src = gauss[plan[oct + 1].g_begin - p.g_begin];
          cv::Mat1f sub((src.rows + 1) / 2, (src.cols + 1) / 2);
          for (int i = 0; i < sub.rows; ++i) {
            const float* sr = src.ptr<float>(2 * i);
            float* dr = sub.ptr<float>(i);
            for (int j = 0; j < sub.cols; ++j) dr[j] = sr[2 * j];
          }
          base = sub;
          base_sigma = sigma_a * std::pow(k, plan[oct + 1].g_begin) / (2 * step);
        }
      }
    }
    std::lock_guard<std::mutex> guard(lock);
    found.insert(found.end(), local.begin(), local.end());
    for (int l = 0; l <= last; ++l)
      samples[l].insert(samples[l].end(), local_samples[l].begin(), local_samples[l].end());
  });
  if (level_spread != nullptr) {
    level_spread->assign(last + 1, 0.0);
    for (int l = 0; l <= last; ++l) {
      std::vector<float>& v = samples[l];
      if (v.empty()) continue;
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      (*level_spread)[l] = 1.4826 * v[v.size() / 2];
    }
  }
  std::sort(found.begin(), found.end(), [](const BlobCandidate& a, const BlobCandidate& b) {
    if (a.response != b.response) return a.response > b.response;
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  return found;
}

}  // namespace skintrack::metrics::internal
