#!/usr/bin/python3
"""Regenerates the SciPy/statsmodels reference values pasted into tests/check_stats.c.
Run: /usr/bin/python3 tests/stats_reference.py  (Debian's python3-scipy 1.10, python3-statsmodels
0.13; make check does not need it). Each line is "name = value" with 17 significant digits.
Where no library function exists (ratio, NPS, CACE, sequential) the formula is computed here
from the raw per-customer data with numpy, independently of the C summaries."""
import math

import numpy as np
from scipy import optimize, stats
from statsmodels.sandbox.regression.gmm import IV2SLS
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep


def out(name, *v):
    print("%-28s = %s" % (name, ", ".join("%.17g" % x for x in v)))


# 1. Welch cross-check with SciPy (R gives the interval): ttest_ind(equal_var=False)
yT = np.array([0, 0, 1250.5, 0, 3999, 250, 0, 0, 8900.25, 120, 0, 560, 75, 0, 2300])
yC = np.array([0, 450, 0, 0, 1200, 0, 75.5, 0, 3100, 0, 90, 0])
r = stats.ttest_ind(yT, yC, equal_var=False)
out("scipy.welch.t_p", r.statistic, r.pvalue)

# 4. Newcombe hybrid score interval: confint_proportions_2indep(method="newcomb")
for (a, b, c, d) in [(45, 500, 30, 480), (0, 50, 3, 60), (50, 50, 58, 60), (0, 40, 0, 40)]:
    lo, hi = confint_proportions_2indep(a, b, c, d, method="newcomb", compare="diff", alpha=0.05)
    out("newcomb.%d_%d_%d_%d" % (a, b, c, d), lo, hi)

# 5. Ratio metric, customer as unit (Deng et al. 2018), from raw per-customer data
MT = np.array([1, 0, 2, 0, 0, 3, 1, 0, 1, 0.0]); DT = np.array([3, 2, 4, 1, 2, 5, 2, 1, 3, 2.0])
MC = np.array([0, 1, 0, 0, 1, 0, 2, 0.0]); DC = np.array([2, 3, 1, 2, 4, 1, 3, 2.0])


def ratio(M, D):
    n = len(M); mm, md = M.mean(), D.mean()
    cov = np.cov(M, D, ddof=1)
    v = (cov[0, 0] / md**2 - 2 * mm * cov[0, 1] / md**3 + mm**2 * cov[1, 1] / md**4) / n
    return M.sum() / D.sum(), v


z = stats.norm.ppf(0.975)
rt, vt = ratio(MT, DT); rc, vc = ratio(MC, DC)
out("ratio.T", rt, math.sqrt(vt), rt - z * math.sqrt(vt), rt + z * math.sqrt(vt))
sd = math.sqrt(vt + vc)
out("ratio.diff", rt - rc, sd, rt - rc - z * sd, rt - rc + z * sd, 2 * stats.norm.sf(abs(rt - rc) / sd))

# 6. NPS from raw answers: scores +100/0/-100, variance of the scores (ddof=0) / n
def nps_scores(prom, pas, det):
    return np.concatenate([np.full(prom, 100.0), np.zeros(pas), np.full(det, -100.0)])


sT = nps_scores(45, 30, 25); sC = nps_scores(38, 32, 30)
seT = math.sqrt(sT.var() / len(sT)); seC = math.sqrt(sC.var() / len(sC))
out("nps.T", sT.mean(), seT, sT.mean() - z * seT, sT.mean() + z * seT, 2 * stats.norm.sf(abs(sT.mean()) / seT))
sdd = math.hypot(seT, seC); dd = sT.mean() - sC.mean()
out("nps.diff", dd, sdd, dd - z * sdd, dd + z * sdd, 2 * stats.norm.sf(abs(dd) / sdd))
pre = np.array([6, 8, 9, 3, 10, 7, 5, 9, 8, 2, 10, 6])
post = np.array([9, 8, 10, 6, 10, 9, 7, 8, 9, 5, 10, 9])
score = np.vectorize(lambda a: 100.0 if a >= 9 else (0.0 if a >= 7 else -100.0))
dlt = score(post) - score(pre)
sep = dlt.std(ddof=1) / math.sqrt(len(dlt))
out("nps.prepost", dlt.mean(), sep, dlt.mean() - z * sep, dlt.mean() + z * sep)

# 9. Sequential: STATS.md formula literally; p-value = smallest alpha whose interval excludes 0
def seq_hw(se, N, alpha, nstar):
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / nstar
    return se * math.sqrt(N) * math.sqrt(2 * (N * rho2 + 1) / (N * N * rho2) * math.log(math.sqrt(N * rho2 + 1) / alpha))


def seq_p(est, se, N, nstar):
    f = lambda la: seq_hw(se, N, math.exp(la), nstar) - abs(est)
    if f(-1e-12) >= 0:  # even alpha -> 1 does not exclude 0
        return 1.0
    return math.exp(optimize.brentq(f, -700, -1e-12, xtol=1e-15, rtol=1e-15))


for (est, se, N, ns) in [(1.2, 0.4, 5000, 5000), (0.5, 0.1, 20000, 5000), (754.025, 679.1642339962541, 27, 5000),
                         (3.0, 0.5, 800, 1000)]:
    out("seq.%g_%g_%g_%g" % (est, se, N, ns), seq_hw(se, N, 0.05, ns), seq_p(est, se, N, ns))
out("seq.hw.5000.alpha10", seq_hw(1.0, 5000, 0.10, 5000))

# 11. Power: closed form with scipy quantiles; achieved power with statsmodels NormalIndPower
def n_total(s2, delta, w, alpha, pw):
    return (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(pw)) ** 2 * s2 * (1 / w + 1 / (1 - w)) / delta**2


out("power.rate.n", n_total(0.04 * 0.96, 0.004, 0.9, 0.05, 0.8))
out("power.rev.n", n_total(120.0**2, 0.05 * 25, 0.8, 0.05, 0.8))
out("power.rev.n.a01.p9", n_total(120.0**2, 0.05 * 25, 0.8, 0.01, 0.9))
out("power.eq.n", n_total(60.0**2, 5.0, 0.5, 0.05, 0.8))
w = 0.9; nt = 20000.0
mde = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * math.sqrt(0.04 * 0.96 * (1 / w + 1 / (1 - w)) / nt)
out("mde.rate.20000", mde)
# NormalIndPower: nobs1 = treatment, ratio = holdout/treatment, effect = delta/sigma
for (delta, n) in [(0.004, 150000.0), (0.002, 30000.0)]:
    pw = NormalIndPower().power(effect_size=delta / math.sqrt(0.04 * 0.96), nobs1=w * n, alpha=0.05,
                                ratio=(1 - w) / w, alternative="two-sided")
    out("power_at.%g_%g" % (delta, n), pw)

# 14. CACE: Wald/IV estimate; delta method with the ITT-compliance covariance (numpy, ddof=1)
yT2 = np.array([0, 500, 0, 1200, 0, 0, 300, 0, 2500, 0, 800, 0, 0, 150, 0, 990, 0, 0, 450, 60.0])
sT2 = np.array([1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1.0])
yC2 = np.array([0, 0, 300, 0, 0, 1000, 0, 0, 0, 200, 0, 0, 0, 80, 0, 0.0])
sC2 = np.zeros(len(yC2))
nT, nC = len(yT2), len(yC2)
itt = yT2.mean() - yC2.mean(); pi = sT2.mean() - sC2.mean()
vd = yT2.var(ddof=1) / nT + yC2.var(ddof=1) / nC
vp = sT2.var(ddof=1) / nT + sC2.var(ddof=1) / nC
cv = np.cov(yT2, sT2, ddof=1)[0, 1] / nT + 0.0
cace = itt / pi
se = math.sqrt((vd - 2 * cace * cv + cace**2 * vp) / pi**2)
out("cace", cace, se, cace - z * se, cace + z * se, 2 * stats.norm.sf(abs(cace) / se))
out("cace.compliance", pi, math.sqrt(vp))
# cross-check of the point estimate: 2SLS of revenue on saw-offer, instrument = arm
yy = np.concatenate([yT2, yC2]); dd2 = np.concatenate([sT2, sC2]); zz = np.concatenate([np.ones(nT), np.zeros(nC)])
X = np.column_stack([np.ones_like(dd2), dd2]); Z = np.column_stack([np.ones_like(zz), zz])
out("cace.iv2sls", IV2SLS(yy, X, Z).fit().params[1])


# 10b. Holm: statsmodels multipletests(method="holm") (same p as BH; R p.adjust gives the same)
from statsmodels.stats.multitest import multipletests

p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04, 0.001, 0.9, 0.04]
out("sm.holm", *multipletests(p, method="holm")[1])

# 15. Heterogeneity across levels: Cochran's Q with numpy, p from scipy.stats.chi2.sf;
# DerSimonian-Laird tau^2 and I^2; EB (BLUP) with Morris's term, as tests/stats_reference.R
e = np.array([412.5, 180.25, 655.0, -120.75, 298.4, 51.3]); s = np.array([150.2, 95.8, 240.6, 180.0, 110.3, 75.9])
w = 1 / s**2; mu = (w * e).sum() / w.sum(); Q = (w * (e - mu) ** 2).sum(); k = len(e)
tau2 = max(0.0, (Q - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
out("scipy.het", Q, stats.chi2.sf(Q, k - 1), max(0.0, (Q - (k - 1)) / Q), tau2, mu)
ws = 1 / (s**2 + tau2); mus = (ws * e).sum() / ws.sum(); B = s**2 / (s**2 + tau2)
pred = mus + (1 - B) * (e - mus)
se = np.sqrt((1 - B) * s**2 + B**2 / ws.sum() + 2 / max(k - 3, 1) * B**2 * (e - mus) ** 2)
out("numpy.eb.pred", *pred)
out("numpy.eb.se", *se)
