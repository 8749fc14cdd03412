//! The classifier: combines the signals of a [`ModelVersion`] into a
//! [`Classification`].

use std::fmt::Write as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::embed::{cosine, Embedder};
use crate::error::Error;
use crate::intents::{rule_types_for, Intent};
use crate::lexicon::LexiconHits;
use crate::logistic::{SparseVector, VocabularyIndex};
use crate::text;
use crate::time::{self, Date, TimeIntent};
use crate::version::ModelVersion;

/// The polite refusal for questions outside fortune telling.
pub const REJECT_MESSAGE: &str = "抱歉，我只能回答与命理、八字运势相关的问题，例如事业、财运、婚姻、健康、性格、喜用神、十神、纳音等。请换一个与命理相关的问题。";

/// The answer to an empty question.
pub const EMPTY_MESSAGE: &str = "请输入您想咨询的命理问题，例如“我今年的事业运怎么样？”";

/// A source of evidence the classifier can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The weighted term lexicon; always active.
    Lexicon,
    /// The trained logistic-regression classifier.
    Classifier,
    /// Sentence embeddings compared with prototype questions.
    Embeddings,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Lexicon => "lexicon",
            Signal::Classifier => "classifier",
            Signal::Embeddings => "embeddings",
        }
    }
}

/// The result of classifying one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Selected intents, strongest first; empty when the question is not
    /// about fortune telling.
    pub intents: Vec<Intent>,
    /// In [0, 1]: the best combined score, or for an off-topic question the
    /// certainty that it is off-topic.
    pub confidence: f32,
    /// Rule types of the selected intents (see [`Intent::rule_types`]).
    pub rule_types: Vec<String>,
    /// Terms that decided: lexicon hits, then the classifier's strongest
    /// features.
    pub keywords: Vec<String>,
    /// The evidence, in words.
    pub reasoning: String,
    pub is_ambiguous: bool,
    pub time_intent: Option<TimeIntent>,
    pub is_fortune_related: bool,
    /// Empty for fortune questions; a polite refusal otherwise.
    pub reject_message: String,
}

/// A prototype sentence and its embedding.
struct Prototype {
    /// `None` for an off-topic prototype.
    intent: Option<Intent>,
    sentence: String,
    vector: Vec<f32>,
}

/// Classifies questions with one model version. Built once per version
/// (embedding the prototypes and indexing the vocabulary), then shared:
/// `classify` takes `&self` and the type is `Send + Sync`.
pub struct Classifier {
    version: ModelVersion,
    index: Option<VocabularyIndex>,
    /// Present only while the embedding signal is active: the version gives
    /// it a weight and there are prototypes to compare questions with.
    embedder: Option<Arc<dyn Embedder>>,
    prototypes: Vec<Prototype>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("version", &self.version.id)
            .field("signals", &self.signals())
            .finish()
    }
}

/// What one signal says about a question.
struct SignalScores {
    signal: Signal,
    weight: f32,
    intents: [f32; 10],
    /// Probability the question is about fortune telling; `None` when the
    /// signal has no evidence either way.
    relevance: Option<f32>,
}

/// The embedding signal's nearest prototypes.
struct Nearest {
    best: Option<(Intent, String, f32)>,
    off_topic: Option<(String, f32)>,
}

impl Classifier {
    /// Builds a classifier for `version`. With an embedder (and a version
    /// that gives embeddings a weight), every prototype sentence is embedded
    /// now, in one batch, so classification embeds only the question.
    pub fn new(
        version: ModelVersion,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<Classifier, Error> {
        text::warm_up();
        let index = match &version.weights {
            Some(w) => {
                for (intent, head) in &w.intents {
                    if head.weights.len() != w.vocabulary.len() {
                        return Err(Error::InvalidVersion {
                            version: version.id.clone(),
                            reason: format!(
                                "head {intent} has {} weights for {} vocabulary entries",
                                head.weights.len(),
                                w.vocabulary.len()
                            ),
                        });
                    }
                }
                Some(VocabularyIndex::new(&w.vocabulary))
            }
            None => None,
        };
        // A version that gives the embeddings no weight does not pay for
        // them: no prototype (nor, then, any question) is embedded.
        let embedder = embedder.filter(|_| version.signal_weights.embeddings > 0.0);
        let mut prototypes = Vec::new();
        if let Some(e) = &embedder {
            let sentences: Vec<(Option<Intent>, &str)> = version
                .prototypes
                .intents
                .iter()
                .flat_map(|(i, s)| s.iter().map(move |s| (Some(*i), s.as_str())))
                .chain(
                    version
                        .prototypes
                        .off_topic
                        .iter()
                        .map(|s| (None, s.as_str())),
                )
                .collect();
            let texts: Vec<&str> = sentences.iter().map(|(_, s)| *s).collect();
            let vectors = e.embed_batch(&texts).map_err(|source| Error::Prototypes {
                version: version.id.clone(),
                source,
            })?;
            if vectors.len() != sentences.len() {
                return Err(Error::Prototypes {
                    version: version.id.clone(),
                    source: crate::embed::EmbedError::Model(format!(
                        "{} vectors for {} prototype sentences",
                        vectors.len(),
                        sentences.len()
                    )),
                });
            }
            prototypes = sentences
                .into_iter()
                .zip(vectors)
                .map(|((intent, sentence), vector)| Prototype {
                    intent,
                    sentence: sentence.to_owned(),
                    vector,
                })
                .collect();
        }
        // Kept only while active: with prototypes to compare questions with.
        let embedder = embedder.filter(|_| !prototypes.is_empty());
        Ok(Classifier {
            version,
            index,
            embedder,
            prototypes,
        })
    }

    pub fn version_id(&self) -> &str {
        &self.version.id
    }

    pub fn version(&self) -> &ModelVersion {
        &self.version
    }

    /// The signals this classifier uses, for health checks.
    pub fn signals(&self) -> Vec<Signal> {
        let mut s = vec![Signal::Lexicon];
        if self.index.is_some() {
            s.push(Signal::Classifier);
        }
        if self.embedder.is_some() {
            s.push(Signal::Embeddings);
        }
        s
    }

    /// The embedder's name, when embeddings are active.
    pub fn embedder_name(&self) -> Option<&str> {
        self.embedder.as_deref().map(|e| e.name())
    }

    /// Classifies one question. Never fails: a signal that cannot run (an
    /// embedder error) is left out and named in the reasoning.
    pub fn classify(&self, question: &str, today: Date) -> Classification {
        let normalized = text::normalize(question);
        let time_intent = time::resolve(question, today);
        if !normalized.chars().any(text::is_content_char) {
            return Classification {
                intents: Vec::new(),
                confidence: 0.0,
                rule_types: Vec::new(),
                keywords: Vec::new(),
                reasoning: "empty question".to_owned(),
                is_ambiguous: true,
                time_intent,
                is_fortune_related: false,
                reject_message: EMPTY_MESSAGE.to_owned(),
            };
        }
        let mut reasons: Vec<String> = Vec::new();
        let hits = self.version.lexicon.hits(&normalized);
        let mut signals = vec![self.lexicon_signal(&hits, &mut reasons)];
        let mut contributions: Vec<(Intent, Vec<String>)> = Vec::new();
        if let Some(index) = &self.index {
            let x = index.vectorize(&text::features(&normalized), &hits.score_features());
            signals.push(self.classifier_signal(&x, &mut reasons, &mut contributions));
        }
        if let Some(e) = &self.embedder {
            match e.embed(question) {
                Ok(v) => signals.push(self.embedding_signal(&v, e.name(), &mut reasons)),
                Err(err) => reasons.push(format!("embeddings unavailable ({err})")),
            }
        }
        self.decide(&signals, &hits, &contributions, reasons, time_intent)
    }

    fn lexicon_signal(&self, hits: &LexiconHits, reasons: &mut Vec<String>) -> SignalScores {
        let mut intents = [0.0f32; 10];
        let mut parts = Vec::new();
        for intent in Intent::ALL {
            let w = hits.weight(intent);
            // Saturating: one strong term gives ~0.7, two give ~0.9.
            intents[intent.index()] = 1.0 - (-w).exp();
            let terms = &hits.intents[intent.index()];
            if !terms.is_empty() {
                let names: Vec<&str> = terms.iter().map(|h| h.term.as_str()).collect();
                parts.push(format!("{} → {intent}", names.join(", ")));
            }
        }
        let (f, o) = (hits.fortune_weight(), hits.off_topic_weight());
        let relevance = (f + o > 0.0).then(|| f / (f + o));
        if !hits.off_topic.is_empty() {
            let names: Vec<&str> = hits.off_topic.iter().map(|h| h.term.as_str()).collect();
            parts.push(format!("{} → off-topic", names.join(", ")));
        }
        reasons.push(if parts.is_empty() {
            "lexicon: no terms".to_owned()
        } else {
            format!("lexicon: {}", parts.join("; "))
        });
        SignalScores {
            signal: Signal::Lexicon,
            weight: self.version.signal_weights.lexicon,
            intents,
            relevance,
        }
    }

    fn classifier_signal(
        &self,
        x: &SparseVector,
        reasons: &mut Vec<String>,
        contributions: &mut Vec<(Intent, Vec<String>)>,
    ) -> SignalScores {
        let mut intents = [0.0f32; 10];
        let mut relevance = None;
        if let Some(w) = &self.version.weights {
            for (intent, head) in &w.intents {
                intents[intent.index()] = head.probability(x);
                // Only whole words make readable keywords (not n-grams or
                // the lexicon-score features).
                let names = head
                    .top_contributions(x, 8)
                    .into_iter()
                    .filter_map(|(i, _)| w.vocabulary.get(i as usize))
                    .filter(|f| f.starts_with("w:"))
                    .map(|f| text::feature_text(f))
                    .filter(|t| text::is_candidate_term(t))
                    .map(str::to_owned)
                    .collect();
                contributions.push((*intent, names));
            }
            relevance = Some(w.relevance.probability(x));
        }
        let mut ranked: Vec<(Intent, f32)> = Intent::ALL
            .iter()
            .map(|i| (*i, intents[i.index()]))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<String> = ranked
            .iter()
            .take(3)
            .filter(|(_, p)| *p >= 0.1)
            .map(|(i, p)| format!("{i} {p:.2}"))
            .collect();
        reasons.push(format!(
            "classifier: {}; fortune {:.2}",
            if top.is_empty() {
                "no intent above 0.10".to_owned()
            } else {
                top.join(", ")
            },
            relevance.unwrap_or(0.0)
        ));
        SignalScores {
            signal: Signal::Classifier,
            weight: self.version.signal_weights.classifier,
            intents,
            relevance,
        }
    }

    /// Per intent, the cosine of its nearest prototype; and the nearest
    /// prototypes overall.
    fn nearest(&self, v: &[f32]) -> ([f32; 10], Nearest) {
        let mut best = [f32::NEG_INFINITY; 10];
        let mut which = [usize::MAX; 10];
        let mut off: Option<(String, f32)> = None;
        for (k, p) in self.prototypes.iter().enumerate() {
            let c = cosine(v, &p.vector);
            match p.intent {
                Some(i) if c > best[i.index()] => {
                    best[i.index()] = c;
                    which[i.index()] = k;
                }
                Some(_) => {}
                None if off.as_ref().is_none_or(|(_, b)| c > *b) => {
                    off = Some((p.sentence.clone(), c))
                }
                None => {}
            }
        }
        let top = Intent::ALL
            .iter()
            .filter(|i| which[i.index()] != usize::MAX)
            .max_by(|a, b| best[a.index()].total_cmp(&best[b.index()]))
            .map(|i| {
                (
                    *i,
                    self.prototypes[which[i.index()]].sentence.clone(),
                    best[i.index()],
                )
            });
        (
            best,
            Nearest {
                best: top,
                off_topic: off,
            },
        )
    }

    fn embedding_signal(&self, v: &[f32], name: &str, reasons: &mut Vec<String>) -> SignalScores {
        let t = &self.version.thresholds;
        let (best, nearest) = self.nearest(v);
        let mut intents = [0.0f32; 10];
        let top = nearest.best.as_ref().map_or(0.0, |b| b.2);
        for i in Intent::ALL {
            let c = best[i.index()];
            if c > t.embedding_floor {
                intents[i.index()] =
                    (1.0 - (top - c) / t.embedding_margin.max(1e-6)).clamp(0.0, 1.0);
            }
        }
        let off = nearest.off_topic.as_ref().map_or(0.0, |o| o.1);
        let relevance = (top.max(off) > t.embedding_floor)
            .then(|| (0.5 + (top - off) / (2.0 * t.embedding_margin.max(1e-6))).clamp(0.0, 1.0));
        let mut line = format!("embeddings ({name}): ");
        match &nearest.best {
            Some((i, s, c)) if *c > t.embedding_floor => {
                let _ = write!(line, "nearest prototype '{s}' ({c:.2}) → {i}");
            }
            _ => line.push_str("no prototype close"),
        }
        if let Some((s, c)) = &nearest.off_topic {
            if *c > t.embedding_floor {
                let _ = write!(line, "; off-topic '{s}' ({c:.2})");
            }
        }
        reasons.push(line);
        SignalScores {
            signal: Signal::Embeddings,
            weight: self.version.signal_weights.embeddings,
            intents,
            relevance,
        }
    }

    fn decide(
        &self,
        signals: &[SignalScores],
        hits: &LexiconHits,
        contributions: &[(Intent, Vec<String>)],
        mut reasons: Vec<String>,
        time_intent: Option<TimeIntent>,
    ) -> Classification {
        let t = &self.version.thresholds;
        let total: f32 = signals.iter().map(|s| s.weight).sum::<f32>().max(1e-6);
        let mut scores = [0.0f32; 10];
        for s in signals {
            for (k, v) in s.intents.iter().enumerate() {
                scores[k] += s.weight * v / total;
            }
        }
        let opinions: Vec<(f32, f32)> = signals
            .iter()
            .filter_map(|s| s.relevance.map(|r| (s.weight, r)))
            .collect();
        let weight_sum: f32 = opinions.iter().map(|o| o.0).sum();
        // No signal with evidence either way: give the benefit of the doubt.
        let relevance = if weight_sum > 0.0 {
            opinions.iter().map(|(w, r)| w * r).sum::<f32>() / weight_sum
        } else {
            0.5
        };
        let active: Vec<&str> = signals.iter().map(|s| s.signal.as_str()).collect();

        if relevance < t.relevance {
            reasons.push(format!(
                "relevance {relevance:.2} < {:.2}: not a fortune-telling question ({})",
                t.relevance,
                active.join(" + ")
            ));
            let keywords = hits
                .off_topic
                .iter()
                .map(|h| h.term.clone())
                .take(8)
                .collect();
            return Classification {
                intents: Vec::new(),
                confidence: (1.0 - relevance).clamp(0.0, 1.0),
                rule_types: Vec::new(),
                keywords,
                reasoning: reasons.join("; "),
                is_ambiguous: false,
                time_intent,
                is_fortune_related: false,
                reject_message: REJECT_MESSAGE.to_owned(),
            };
        }

        let mut ranked: Vec<(Intent, f32)> = Intent::ALL
            .iter()
            .map(|i| (*i, scores[i.index()]))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (best_intent, best) = ranked[0];
        let second = ranked[1].1;
        let mut intents: Vec<Intent> = ranked
            .iter()
            .filter(|(_, s)| *s >= t.select)
            .map(|(i, _)| *i)
            .collect();
        if intents.is_empty() {
            intents.push(if best >= t.fallback {
                best_intent
            } else {
                Intent::General
            });
        }
        let runner_up_close = best - second < t.ambiguity_margin && second < t.select;
        let is_ambiguous = best < t.confident || runner_up_close;

        let combined: Vec<String> = ranked
            .iter()
            .take(3)
            .filter(|(_, s)| *s > 0.0)
            .map(|(i, s)| format!("{i} {s:.2}"))
            .collect();
        reasons.push(format!(
            "combined ({}): {}; selected {} (threshold {:.2}){}",
            active.join(" + "),
            if combined.is_empty() {
                "no evidence".to_owned()
            } else {
                combined.join(", ")
            },
            crate::intents::join(&intents),
            t.select,
            if is_ambiguous { "; ambiguous" } else { "" }
        ));
        if let Some(ti) = &time_intent {
            reasons.push(format!("time: {}", ti.description));
        }

        let mut keywords: Vec<String> = Vec::new();
        for i in &intents {
            for h in &hits.intents[i.index()] {
                if !keywords.contains(&h.term) {
                    keywords.push(h.term.clone());
                }
            }
        }
        for (i, names) in contributions {
            if intents.contains(i) {
                for n in names.iter().take(2) {
                    if !keywords.iter().any(|k| k.contains(n.as_str())) {
                        keywords.push(n.clone());
                    }
                }
            }
        }
        keywords.truncate(8);

        Classification {
            rule_types: rule_types_for(&intents),
            intents,
            confidence: best.clamp(0.0, 1.0),
            keywords,
            reasoning: reasons.join("; "),
            is_ambiguous,
            time_intent,
            is_fortune_related: true,
            reject_message: String::new(),
        }
    }
}
