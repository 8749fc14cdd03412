//! The labeled set, and held-out quality of the three signal combinations.

use std::sync::Arc;

use intent::time::Date;
use intent::{dataset, evaluate, CharBigramEmbedder, Classifier, Evaluation, Intent, ModelVersion};

fn today() -> Date {
    Date::from_calendar_date(2026, time::Month::November, 25).unwrap()
}

fn report(name: &str, e: &Evaluation) {
    println!(
        "{name:<28} accuracy {:.3}  macro-F1 {:.3}",
        e.accuracy, e.macro_f1
    );
    for (i, p) in &e.per_intent {
        println!(
            "    {:<12} P {:.2} R {:.2} F1 {:.2} (n={})",
            i.as_str(),
            p.precision,
            p.recall,
            p.f1,
            p.support
        );
    }
}

#[test]
fn labeled_set_covers_every_intent() {
    let all = dataset::labeled();
    assert!(all.len() >= 450, "{} questions", all.len());
    for intent in Intent::ALL {
        let n = all.iter().filter(|e| e.intents.contains(&intent)).count();
        assert!(n >= 30, "{intent}: {n} questions");
    }
    let off = all.iter().filter(|e| !e.fortune_related).count();
    assert!(off >= 40, "{off} off-topic questions");
    let multi = all.iter().filter(|e| e.intents.len() >= 2).count();
    assert!(multi >= 80, "{multi} multi-intent questions");
    // The file parses strictly (labeled() would skip bad lines).
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/labeled.tsv")).unwrap();
    assert_eq!(dataset::parse(&text).unwrap().len(), all.len());
    let mut questions: Vec<&str> = all.iter().map(|e| e.question.as_str()).collect();
    questions.sort_unstable();
    questions.dedup();
    assert_eq!(questions.len(), all.len(), "duplicate questions");
}

#[test]
fn split_is_about_a_quarter_and_disjoint() {
    let (train, held) = (dataset::train_split(), dataset::held_out());
    let total = train.len() + held.len();
    assert_eq!(total, dataset::labeled().len());
    let share = held.len() as f32 / total as f32;
    assert!((0.18..=0.32).contains(&share), "held-out share {share}");
    assert!(held
        .iter()
        .all(|h| !train.iter().any(|t| t.question == h.question)));
    assert!(held.iter().any(|e| !e.fortune_related));
}

#[test]
fn parse_reports_unknown_intents() {
    let err = dataset::parse("问题\tcareer,luck\n").unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.reason.contains("luck"));
    let ok = dataset::parse("# comment\n天气\toff_topic\n事业\tcareer\tnote\n").unwrap();
    assert_eq!(ok.len(), 2);
    assert!(!ok[0].fortune_related);
    assert_eq!(ok[1].intents, vec![Intent::Career]);
}

#[test]
fn held_out_quality_of_each_signal_combination() {
    let held = dataset::held_out();
    let lexicon = Classifier::new(ModelVersion::lexicon_only(), None).unwrap();
    let trained = Classifier::new(ModelVersion::baseline(), None).unwrap();
    let embedder = Arc::new(CharBigramEmbedder::default());
    let with_embeddings = Classifier::new(ModelVersion::baseline(), Some(embedder)).unwrap();

    let lex = evaluate(&lexicon, &held, today());
    let tr = evaluate(&trained, &held, today());
    let emb = evaluate(&with_embeddings, &held, today());
    println!("held-out: {} questions", held.len());
    report("lexicon only", &lex);
    report("lexicon + classifier", &tr);
    report("lexicon + classifier + emb", &emb);
    for c in tr.cases.iter().filter(|c| !c.is_correct()) {
        println!(
            "  miss: {} expected {:?} got {:?}",
            c.question, c.expected, c.predicted
        );
    }

    assert_eq!(lex.cases.len(), held.len());
    assert!(
        tr.macro_f1 > lex.macro_f1,
        "trained {:.3} must beat lexicon-only {:.3}",
        tr.macro_f1,
        lex.macro_f1
    );
    assert!(tr.accuracy > lex.accuracy);
    // Every configuration must be far better than chance on exact sets.
    for e in [&lex, &tr, &emb] {
        assert!(
            e.macro_f1 > 0.5 && e.accuracy > 0.4,
            "{} {}",
            e.macro_f1,
            e.accuracy
        );
    }
}
