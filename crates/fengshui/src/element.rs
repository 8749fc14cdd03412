//! The five elements as the chart library defines them, and the person's
//! favourable and unfavourable elements.
//!
//! The crate reuses [`bazi::ganzhi::Element`] rather than a type of its own so
//! that the elements a chart analysis returns (喜用神 / 忌神) can be passed in
//! unchanged. Because that type lives in another crate, parsing a name is the
//! free function [`parse_element`] (a `FromStr` impl would be an orphan).

use thiserror::Error;

pub use bazi::ganzhi::Element;

/// A name that is not one of the five elements.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{name:?} is not an element; expected one of 木 火 土 金 水")]
pub struct ElementError {
    /// The refused name.
    pub name: String,
}

/// Parses a Chinese element name (`木` `火` `土` `金` `水`).
pub fn parse_element(name: &str) -> Result<Element, ElementError> {
    Element::ALL
        .into_iter()
        .find(|e| e.as_str() == name)
        .ok_or_else(|| ElementError {
            name: name.to_owned(),
        })
}

/// One bit per element, indexed by [`Element::index`].
pub(crate) fn element_bit(e: Element) -> u8 {
    1 << e.index()
}

/// The person's favourable (喜神 / 用神) and unfavourable (忌神) elements, as
/// a chart analysis gives them. Rules read them to steer additions toward
/// favourable elements and removals away from unfavourable ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonalElements {
    /// Favourable elements, the most useful (用神) first.
    pub favourable: Vec<Element>,
    /// Unfavourable elements.
    pub unfavourable: Vec<Element>,
}

impl PersonalElements {
    /// Parses element names such as `["水", "木"]`, as a service receives them.
    pub fn from_names<S: AsRef<str>>(
        favourable: &[S],
        unfavourable: &[S],
    ) -> Result<PersonalElements, ElementError> {
        let parse = |names: &[S]| {
            names
                .iter()
                .map(|n| parse_element(n.as_ref()))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(PersonalElements {
            favourable: parse(favourable)?,
            unfavourable: parse(unfavourable)?,
        })
    }

    pub(crate) fn favourable_mask(&self) -> u8 {
        self.favourable.iter().fold(0, |m, e| m | element_bit(*e))
    }

    pub(crate) fn unfavourable_mask(&self) -> u8 {
        self.unfavourable.iter().fold(0, |m, e| m | element_bit(*e))
    }
}

/// Element names joined with `、`, as reasons quote them (`水、木`) and
/// services show a person's elements.
pub fn join_elements(elements: &[Element]) -> String {
    elements
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_element_name_and_refuses_others() {
        for e in Element::ALL {
            assert_eq!(parse_element(e.as_str()), Ok(e));
        }
        let err = parse_element("wood").unwrap_err();
        assert_eq!(err.name, "wood");
        assert!(err.to_string().contains("木 火 土 金 水"));
    }

    #[test]
    fn personal_elements_from_names() {
        let p = PersonalElements::from_names(&["水", "木"], &["火"]).unwrap();
        assert_eq!(p.favourable, vec![Element::Water, Element::Wood]);
        assert_eq!(p.unfavourable, vec![Element::Fire]);
        assert_eq!(p.favourable_mask(), 0b10001);
        assert_eq!(join_elements(&p.favourable), "水、木");
        assert_eq!(
            PersonalElements::from_names(&["水"], &["风"])
                .unwrap_err()
                .name,
            "风"
        );
    }
}
