//! Knowledge-base files: JSON Lines (one article a line) and CSV (UTF-8 with a BOM, so Excel
//! opens it as Japanese). A file is read whole and every bad line is reported with its number
//! before anything is stored.

use madoguchi_core::kb::{Article, ArticleFields, ArticleInput};

/// The CSV header, in order.
pub const CSV_COLUMNS: [&str; 6] = ["external_id", "category", "question", "answer", "keywords", "published"];
const BOM: &str = "\u{feff}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// By name (`jsonl`, `csv`) or by a file's extension.
    pub fn parse(s: &str) -> Option<Format> {
        match s.rsplit('.').next().unwrap_or(s).to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// A line of the file that could not be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads a whole file; every error is collected with its line number.
pub fn read(format: Format, data: &[u8]) -> Result<Vec<ArticleFields>, Vec<LineError>> {
    let text = match std::str::from_utf8(data) {
        Ok(t) => t.strip_prefix(BOM).unwrap_or(t),
        Err(e) => return Err(vec![LineError { line: 0, message: format!("the file is not UTF-8: {e}") }]),
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let check = |line: usize, r: Result<ArticleInput, String>| {
        r.and_then(|i| i.validate().map_err(|e| format!("{}: {}", e.field, e.message)))
            .map_err(|message| LineError { line, message })
    };
    match format {
        Format::Jsonl => {
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match check(n + 1, serde_json::from_str::<ArticleInput>(line).map_err(|e| e.to_string())) {
                    Ok(a) => out.push(a),
                    Err(e) => errors.push(e),
                }
            }
        }
        Format::Csv => {
            let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
            let header: Vec<String> = match rdr.headers() {
                Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
                Err(e) => return Err(vec![LineError { line: 1, message: e.to_string() }]),
            };
            let col = |name: &str| header.iter().position(|h| h == name);
            let (Some(cat), Some(q), Some(a)) = (col("category"), col("question"), col("answer")) else {
                return Err(vec![LineError {
                    line: 1,
                    message: format!(
                        "the header must name at least category, question and answer ({})",
                        CSV_COLUMNS.join(",")
                    ),
                }]);
            };
            let (ext, kw, published) = (col("external_id"), col("keywords"), col("published"));
            for (n, record) in rdr.records().enumerate() {
                let line = n + 2;
                let r = match record {
                    Ok(r) => r,
                    Err(e) => {
                        errors.push(LineError { line, message: e.to_string() });
                        continue;
                    }
                };
                let get = |i: Option<usize>| {
                    i.and_then(|i| r.get(i))
                        .map(crate::spreadsheet::uncell)
                        .map(str::trim)
                        .unwrap_or_default()
                        .to_owned()
                };
                let published = match get(published).as_str() {
                    "" | "true" | "1" | "公開" | "yes" => Ok(Some(true)),
                    "false" | "0" | "非公開" | "下書き" | "no" => Ok(Some(false)),
                    other => Err(format!("published: {other:?} is not true or false")),
                };
                let checked = check(
                    line,
                    published.map(|published| ArticleInput {
                        external_id: Some(get(ext)).filter(|s| !s.is_empty()),
                        category: get(Some(cat)),
                        question: get(Some(q)),
                        answer: get(Some(a)),
                        keywords: get(kw).split([',', '、', '|']).map(str::to_owned).collect(),
                        published,
                    }),
                );
                match checked {
                    Ok(a) => out.push(a),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Writes articles in a format; CSV starts with a BOM and separates keywords with 、.
pub fn write(format: Format, articles: &[Article]) -> Vec<u8> {
    match format {
        Format::Jsonl => {
            let mut out = Vec::new();
            for a in articles {
                let line = ArticleInput {
                    external_id: a.external_id.clone(),
                    category: a.category.clone(),
                    question: a.question.clone(),
                    answer: a.answer.clone(),
                    keywords: a.keywords.clone(),
                    published: Some(a.published),
                };
                out.extend(serde_json::to_vec(&line).unwrap_or_default());
                out.push(b'\n');
            }
            out
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(BOM.as_bytes().to_vec());
            let _ = w.write_record(CSV_COLUMNS);
            for a in articles {
                use crate::spreadsheet::cell;
                let published = if a.published { "true" } else { "false" };
                let _ = w.write_record(
                    [
                        cell(a.external_id.as_deref().unwrap_or_default()),
                        cell(&a.category),
                        cell(&a.question),
                        cell(&a.answer),
                        cell(&a.keywords.join("、")),
                        cell(published),
                    ]
                    .iter()
                    .map(|c| c.as_bytes()),
                );
            }
            w.into_inner().unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_with_errors_are_all_named() {
        let data = "{\"external_id\":\"a\",\"category\":\"配送\",\"question\":\"いつ届く？\",\"answer\":\"3日です\",\"keywords\":[\"到着\"]}\n\
                    \n\
                    {\"category\":\"配送\",\"question\":\"\",\"answer\":\"x\"}\n\
                    not json\n";
        let errors = read(Format::Jsonl, data.as_bytes()).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4]);
        assert!(errors[0].message.starts_with("question"), "{errors:?}");
    }

    #[test]
    fn csv_with_a_bom_quotes_and_japanese_separators() {
        let data = "\u{feff}external_id,category,question,answer,keywords,published\n\
                    f1,返品・交換・キャンセル,返品できますか,\"到着後8日以内なら、\n承ります。\",\"返送、送り返す\",公開\n\
                    f2,配送,送料は？,全国一律です,,非公開\n";
        let a = read(Format::Csv, data.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].answer, "到着後8日以内なら、\n承ります。");
        assert_eq!(a[0].keywords, vec!["返送", "送り返す"]);
        assert!(a[0].published && !a[1].published);
        let bad = read(Format::Csv, "question,answer\nq,a\n".as_bytes()).unwrap_err();
        assert_eq!(bad[0].line, 1);
    }
}
