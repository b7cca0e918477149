# Regenerates the R reference values pasted into tests/check_stats.c.
# Run: Rscript tests/stats_reference.R   (needs r-base-core and r-cran-survival; make check does not)
# Each block prints "name = value" lines (17 significant digits) that the C tests compare against.
suppressPackageStartupMessages(library(survival))
out <- function(name, v) cat(sprintf("%-28s = %s\n", name, paste(sprintf("%.17g", v), collapse = ", ")))

# ---- data set D1: revenue per exposed customer (minor units) ----
yT <- c(0, 0, 1250.5, 0, 3999, 250, 0, 0, 8900.25, 120, 0, 560, 75, 0, 2300)
yC <- c(0, 450, 0, 0, 1200, 0, 75.5, 0, 3100, 0, 90, 0)

# 1. Welch difference: t.test(yT, yC, var.equal = FALSE)
w <- t.test(yT, yC, var.equal = FALSE)
out("welch.diff", mean(yT) - mean(yC)); out("welch.ci", w$conf.int); out("welch.p", w$p.value)
out("welch.df", w$parameter); out("welch.se", w$stderr)
w90 <- t.test(yT, yC, var.equal = FALSE, conf.level = 0.90)
out("welch.ci90", w90$conf.int)

# 2. Relative lift, delta method (STATS.md), Welch df from t.test
mt <- mean(yT); mc <- mean(yC); vt <- var(yT)/length(yT); vc <- var(yC)/length(yC)
L <- (mt - mc)/abs(mc); seL <- sqrt(vt/mc^2 + vc*mt^2/mc^4)
q <- qt(0.975, w$parameter)
out("lift.est", L); out("lift.se", seL); out("lift.ci", c(L - q*seL, L + q*seL))
out("lift.p", 2*pt(-abs(L/seL), w$parameter))

# 3. Incremental revenue: t.test conf.int scaled by n_T and n_C; net of 2.5 x 40 attempts
out("incr.total.ci", w$conf.int * length(yT)); out("incr.cost.ci", w$conf.int * length(yC))
tn <- (length(yT)*(mt - mc) - 2.5*40)/(length(yT)*w$stderr)
out("incr.net.p", 2*pt(-abs(tn), w$parameter))

# 4. Wilson per arm and pooled z p-value: prop.test(..., correct = FALSE)
out("wilson.45_500", prop.test(45, 500, correct = FALSE)$conf.int)
out("wilson.30_480", prop.test(30, 480, correct = FALSE)$conf.int)
out("wilson.0_50", prop.test(0, 50, correct = FALSE)$conf.int)
out("wilson.50_50", prop.test(50, 50, correct = FALSE)$conf.int)
out("wilson.45_500.90", prop.test(45, 500, correct = FALSE, conf.level = 0.9)$conf.int)
out("prop.p.45_500_30_480", prop.test(c(45, 30), c(500, 480), correct = FALSE)$p.value)
out("prop.p.0_50_3_60", suppressWarnings(prop.test(c(0, 3), c(50, 60), correct = FALSE)$p.value))
out("prop.p.50_50_58_60", suppressWarnings(prop.test(c(50, 58), c(50, 60), correct = FALSE)$p.value))

# 7. Sample-ratio mismatch: chisq.test(observed, p = weights)
s1 <- chisq.test(c(5034, 4966), p = c(0.5, 0.5)); out("srm1", c(s1$statistic, s1$p.value))
s2 <- chisq.test(c(1000, 4480, 4520), p = c(0.1, 0.45, 0.45)); out("srm2", c(s2$statistic, s2$p.value))
s3 <- chisq.test(c(1100, 8900), p = c(0.1, 0.9)); out("srm3", c(s3$statistic, s3$p.value))

# 8. CUPED: theta on both arms pooled, then t.test on y - theta*(x - mean(x_all))
xT <- c(0, 100, 1200, 0, 3000, 300, 0, 50, 8000, 100, 0, 500, 0, 20, 2000)
xC <- c(0, 400, 0, 100, 1000, 0, 100, 0, 2800, 0, 0, 10)
xa <- c(xT, xC); ya <- c(yT, yC)
theta <- cov(ya, xa)/var(xa)
aT <- yT - theta*(xT - mean(xa)); aC <- yC - theta*(xC - mean(xa))
cw <- t.test(aT, aC, var.equal = FALSE)
out("cuped.theta", theta); out("cuped.means", c(mean(aT), mean(aC)))
out("cuped.ci", cw$conf.int); out("cuped.p", cw$p.value); out("cuped.df", cw$parameter)
out("cuped.vr", 1 - cw$stderr^2/w$stderr^2)
amt <- mean(aT); amc <- mean(aC); avt <- var(aT)/length(aT); avc <- var(aC)/length(aC)
aL <- (amt - amc)/abs(amc); aseL <- sqrt(avt/amc^2 + avc*amt^2/amc^4); aq <- qt(0.975, cw$parameter)
out("cuped.lift", c(aL, aseL, aL - aq*aseL, aL + aq*aseL))

# 10. Benjamini-Hochberg: p.adjust(p, method = "BH")
p <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04, 0.001, 0.9, 0.04)
out("bh", p.adjust(p, method = "BH"))

# 11. Power: power.t.test (t-based; our normal formula agrees to ~1% at these sizes)
out("power.t.n", power.t.test(delta = 5, sd = 60, sig.level = 0.05, power = 0.8)$n)

# 12. Revenue cap: quantile(x, q, type = 7)
cv <- c(yT, yC, 15000, 42.5, 42.5, 7)
out("cap", quantile(cv, c(0, 0.5, 0.9, 0.95, 0.99, 1), type = 7, names = FALSE))

# 13. Kaplan-Meier: summary(survfit(Surv(time, event) ~ 1), times = c(0, 30, 60, 90))
kt <- c(5, 12, 12, 20, 30, 30, 33, 41, 45, 45, 60, 62, 70, 75, 88, 90, 90, 100, 120, 150)
ke <- c(1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1)
km <- summary(survfit(Surv(kt, ke) ~ 1), times = c(0, 30, 60, 90))
out("km.surv", km$surv); out("km.se", km$std.err); out("km.lower", km$lower); out("km.upper", km$upper)
out("km.n.risk", km$n.risk)

# 10b. Holm: p.adjust(p, method = "holm") (same p as BH)
out("holm", p.adjust(p, method = "holm"))
out("holm.2", p.adjust(c(0.5, 0.01, 0.02, 0.5, 1, 0), method = "holm"))

# 15. Segments (needs r-cran-metafor): heterogeneity and empirical-Bayes shrinkage.
# H1: six levels; H2: homogeneous levels (Q < df, tau^2 = 0).
suppressPackageStartupMessages(library(metafor))
h1e <- c(412.5, 180.25, 655.0, -120.75, 298.4, 51.3); h1s <- c(150.2, 95.8, 240.6, 180.0, 110.3, 75.9)
h2e <- c(100, 102, 98, 101); h2s <- c(10, 12, 9, 11)
for (nm in c("h1", "h2")) {
  e <- get(paste0(nm, "e")); s <- get(paste0(nm, "s"))
  re <- rma(yi = e, sei = s, method = "DL"); fe <- rma(yi = e, sei = s, method = "FE")
  # Q, df, p, I^2 (metafor in percent: /100), DL tau^2, fixed-effect mean
  out(paste0(nm, ".het"), c(re$QE, re$k - 1, re$QEp, re$I2/100, re$tau2, fe$beta[1]))
  # by hand, independently of metafor: w = 1/se^2
  w <- 1/s^2; mu <- sum(w*e)/sum(w); Q <- sum(w*(e - mu)^2)
  t2 <- max(0, (Q - (length(e) - 1))/(sum(w) - sum(w^2)/sum(w)))
  out(paste0(nm, ".het.hand"), c(Q, pchisq(Q, length(e) - 1, lower.tail = FALSE), t2))
  # EB (BLUP): metafor blup(rma DL): pred = mu* + l(e - mu*), se = sqrt(l v + (1-l)^2 Var(mu*))
  # Lift adds Morris's (1983) term for the estimated shrinkage factor B = v/(v + tau^2):
  # se^2 = blup se^2 + 2/max(k - 3, 1) * B^2 * (e - mu*)^2, mu* the random-effects mean.
  b <- blup(re)
  B <- s^2/(s^2 + re$tau2); mus <- re$beta[1]
  se <- sqrt(b$se^2 + 2/max(length(e) - 3, 1)*B^2*(e - mus)^2)
  out(paste0(nm, ".re.mean"), mus)
  out(paste0(nm, ".eb.pred"), b$pred); out(paste0(nm, ".eb.se.blup"), b$se); out(paste0(nm, ".eb.se"), se)
  out(paste0(nm, ".eb.lo"), b$pred - qnorm(0.975)*se); out(paste0(nm, ".eb.hi"), b$pred + qnorm(0.975)*se)
  out(paste0(nm, ".eb.p"), 2*pnorm(-abs(b$pred/se)))
  if (nm == "h1") { out("h1.eb.lo90", b$pred - qnorm(0.95)*se); out("h1.eb.hi90", b$pred + qnorm(0.95)*se) }
}

# Third central moment of D1's treatment arm: sum((y - mean(y))^3), and the unbiased k3
m3 <- sum((yT - mean(yT))^3); n <- length(yT)
out("m3.yT", c(m3, n*m3/((n - 1)*(n - 2))))

# 16. Revenue difference (lift_revenue_diff), by hand from the raw data: conversion x amount
# with the amount moments pooled over both arms' converters, Welch-Satterthwaite df, and the
# monotone (Hall) form of the Edgeworth correction with skewness gamma and Cov(diff, SE^2).
# R1: plan-like amounts, treatment customer i (0..899) pays when i %% 9 == 0, holdout customer
# i (0..299) when i %% 10 == 3; amounts from a fixed table.
amt <- c(29, 29, 29, 79, 79, 199, 29, 79, 999, 29, 49)
iT <- 0:899; iC <- 0:299
rT <- ifelse(iT %% 9 == 0, amt[(iT*7) %% 11 + 1], 0); rC <- ifelse(iC %% 10 == 3, amt[(iC*5) %% 11 + 1], 0)
cbrt <- function(u) sign(u)*abs(u)^(1/3)
seq_w <- function(N, alpha, nstar) {   # always-valid half-width / SE (STATS.md)
  rho2 <- (-2*log(alpha) + log(-2*log(alpha) + 1))/nstar
  sqrt(N)*sqrt(2*(N*rho2 + 1)/(N^2*rho2)*log(sqrt(N*rho2 + 1)/alpha))
}
revdiff <- function(yT, yC, alpha, nstar = 0) {
  nT <- length(yT); nC <- length(yC); kT <- sum(yT > 0); kC <- sum(yC > 0); K <- kT + kC
  d <- mean(yT) - mean(yC)
  A1 <- sum(c(yT, yC))/K; A2 <- sum(c(yT, yC)^2)/K; A3 <- sum(c(yT, yC)^3)/K
  pT <- kT/nT; pC <- kC/nC
  vT <- (pT*A2 - pT^2*A1^2)*nT/(nT - 1); vC <- (pC*A2 - pC^2*A1^2)*nC/(nC - 1)
  eT <- vT/nT; eC <- vC/nC; se <- sqrt(eT + eC); df <- (eT + eC)^2/(eT^2/(nT - 1) + eC^2/(nC - 1))
  m3T <- pT*A3 - 3*pT^2*A1*A2 + 2*pT^3*A1^3; m3C <- pC*A3 - 3*pC^2*A1*A2 + 2*pC^3*A1^3
  gam <- (m3T/nT^2 - m3C/nC^2)/se^3
  cv <- A1*(A2 - 2*pT*A1^2)*pT*(1 - pT)/nT^2 - A1*(A2 - 2*pC*A1^2)*pC*(1 - pC)/nC^2
  cc <- cv/se^3; a <- (3*cc - gam)/6; k <- cc/2 - a
  g <- function(x) x + a*x^2 + a^2*x^3/3 + k
  ginv <- function(y) (cbrt(1 + 3*a*(y - k)) - 1)/a
  g0 <- g(d/se)
  if (nstar > 0) {
    N <- nT + nC; q <- seq_w(N, alpha, nstar)
    f <- function(la) seq_w(N, exp(la), nstar) - abs(g0)
    p <- if (f(-1e-12) >= 0) 1 else exp(uniroot(f, c(-700, -1e-12), tol = 1e-15)$root)
  } else { q <- qt(1 - alpha/2, df); p <- 2*pt(-abs(g0), df) }
  c(d, se, d - se*ginv(q), d - se*ginv(-q), p, df)
}
out("rev.r1", revdiff(rT, rC, 0.05))          # estimate, se, ci_low, ci_high, p, df
out("rev.r1.90", revdiff(rT, rC, 0.10))
out("rev.r1.seq", revdiff(rT, rC, 0.05, 5000))
out("rev.r1.swap", revdiff(rC, rT, 0.05))     # holdout and treatment exchanged
out("rev.r1.welch", c(t.test(rT, rC)$conf.int, t.test(rT, rC)$p.value))  # plain Welch, for contrast
# R2: the treatment pays more often (i %% 6 == 0): a clear effect, for the p-values
r2T <- ifelse(iT %% 6 == 0, amt[(iT*7) %% 11 + 1], 0)
out("rev.r2", revdiff(r2T, rC, 0.05)); out("rev.r2.seq", revdiff(r2T, rC, 0.05, 5000))
out("rev.r2.seq1000", revdiff(r2T, rC, 0.05, 1000))

# 17. CUPED-adjusted revenue difference (lift_revenue_diff_cuped), by hand: R1's revenue with a
# pre-period revenue x correlated with it; theta = OLS slope over both arms merged; Var X and
# Cov(X, Y) pooled within arms; the rest as revdiff.
xT <- ifelse(iT %% 9 == 0, 0.5*rT, 0) + ifelse(iT %% 7 == 0, amt[(iT*3) %% 11 + 1], 0)
xC <- ifelse(iC %% 10 == 3, 0.5*rC, 0) + ifelse(iC %% 8 == 1, amt[(iC*2) %% 11 + 1], 0)
revdiff_cuped <- function(yT, yC, xT, xC, alpha, nstar = 0) {
  nT <- length(yT); nC <- length(yC); kT <- sum(yT > 0); kC <- sum(yC > 0); K <- kT + kC
  theta <- cov(c(yT, yC), c(xT, xC))/var(c(xT, xC))
  d <- mean(yT) - mean(yC) - theta*(mean(xT) - mean(xC))
  vx <- (sum((xT - mean(xT))^2) + sum((xC - mean(xC))^2))/(nT + nC - 2)
  cxy <- (sum((xT - mean(xT))*(yT - mean(yT))) + sum((xC - mean(xC))*(yC - mean(yC))))/(nT + nC - 2)
  A1 <- sum(c(yT, yC))/K; A2 <- sum(c(yT, yC)^2)/K; A3 <- sum(c(yT, yC)^3)/K
  pT <- kT/nT; pC <- kC/nC; adj <- theta^2*vx - 2*theta*cxy
  vT <- (pT*A2 - pT^2*A1^2)*nT/(nT - 1) + adj; vC <- (pC*A2 - pC^2*A1^2)*nC/(nC - 1) + adj
  eT <- vT/nT; eC <- vC/nC; se <- sqrt(eT + eC); df <- (eT + eC)^2/(eT^2/(nT - 1) + eC^2/(nC - 1))
  m3T <- pT*A3 - 3*pT^2*A1*A2 + 2*pT^3*A1^3; m3C <- pC*A3 - 3*pC^2*A1*A2 + 2*pC^3*A1^3
  gam <- (m3T/nT^2 - m3C/nC^2)/se^3
  cv <- A1*(A2 - 2*pT*A1^2)*pT*(1 - pT)/nT^2 - A1*(A2 - 2*pC*A1^2)*pC*(1 - pC)/nC^2
  cc <- cv/se^3; a <- (3*cc - gam)/6; k <- cc/2 - a
  g <- function(x) x + a*x^2 + a^2*x^3/3 + k
  ginv <- function(y) (cbrt(1 + 3*a*(y - k)) - 1)/a
  q <- qt(1 - alpha/2, df)
  c(d, se, d - se*ginv(q), d - se*ginv(-q), 2*pt(-abs(g(d/se)), df), df, theta)
}
out("rev.cuped.r1", revdiff_cuped(rT, rC, xT, xC, 0.05))   # ..., df, theta
out("rev.cuped.r2", revdiff_cuped(r2T, rC, xT, xC, 0.05))
