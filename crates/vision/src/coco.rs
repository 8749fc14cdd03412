//! The 80 COCO object classes NanoDet was trained on.

/// A COCO class, in the detector's output order (`index()` is the column
/// of the network's score output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum CocoClass {
    /// "person"
    Person = 0,
    /// "bicycle"
    Bicycle = 1,
    /// "car"
    Car = 2,
    /// "motorcycle"
    Motorcycle = 3,
    /// "airplane"
    Airplane = 4,
    /// "bus"
    Bus = 5,
    /// "train"
    Train = 6,
    /// "truck"
    Truck = 7,
    /// "boat"
    Boat = 8,
    /// "traffic light"
    TrafficLight = 9,
    /// "fire hydrant"
    FireHydrant = 10,
    /// "stop sign"
    StopSign = 11,
    /// "parking meter"
    ParkingMeter = 12,
    /// "bench"
    Bench = 13,
    /// "bird"
    Bird = 14,
    /// "cat"
    Cat = 15,
    /// "dog"
    Dog = 16,
    /// "horse"
    Horse = 17,
    /// "sheep"
    Sheep = 18,
    /// "cow"
    Cow = 19,
    /// "elephant"
    Elephant = 20,
    /// "bear"
    Bear = 21,
    /// "zebra"
    Zebra = 22,
    /// "giraffe"
    Giraffe = 23,
    /// "backpack"
    Backpack = 24,
    /// "umbrella"
    Umbrella = 25,
    /// "handbag"
    Handbag = 26,
    /// "tie"
    Tie = 27,
    /// "suitcase"
    Suitcase = 28,
    /// "frisbee"
    Frisbee = 29,
    /// "skis"
    Skis = 30,
    /// "snowboard"
    Snowboard = 31,
    /// "sports ball"
    SportsBall = 32,
    /// "kite"
    Kite = 33,
    /// "baseball bat"
    BaseballBat = 34,
    /// "baseball glove"
    BaseballGlove = 35,
    /// "skateboard"
    Skateboard = 36,
    /// "surfboard"
    Surfboard = 37,
    /// "tennis racket"
    TennisRacket = 38,
    /// "bottle"
    Bottle = 39,
    /// "wine glass"
    WineGlass = 40,
    /// "cup"
    Cup = 41,
    /// "fork"
    Fork = 42,
    /// "knife"
    Knife = 43,
    /// "spoon"
    Spoon = 44,
    /// "bowl"
    Bowl = 45,
    /// "banana"
    Banana = 46,
    /// "apple"
    Apple = 47,
    /// "sandwich"
    Sandwich = 48,
    /// "orange"
    Orange = 49,
    /// "broccoli"
    Broccoli = 50,
    /// "carrot"
    Carrot = 51,
    /// "hot dog"
    HotDog = 52,
    /// "pizza"
    Pizza = 53,
    /// "donut"
    Donut = 54,
    /// "cake"
    Cake = 55,
    /// "chair"
    Chair = 56,
    /// "couch"
    Couch = 57,
    /// "potted plant"
    PottedPlant = 58,
    /// "bed"
    Bed = 59,
    /// "dining table"
    DiningTable = 60,
    /// "toilet"
    Toilet = 61,
    /// "tv"
    Tv = 62,
    /// "laptop"
    Laptop = 63,
    /// "mouse"
    Mouse = 64,
    /// "remote"
    Remote = 65,
    /// "keyboard"
    Keyboard = 66,
    /// "cell phone"
    CellPhone = 67,
    /// "microwave"
    Microwave = 68,
    /// "oven"
    Oven = 69,
    /// "toaster"
    Toaster = 70,
    /// "sink"
    Sink = 71,
    /// "refrigerator"
    Refrigerator = 72,
    /// "book"
    Book = 73,
    /// "clock"
    Clock = 74,
    /// "vase"
    Vase = 75,
    /// "scissors"
    Scissors = 76,
    /// "teddy bear"
    TeddyBear = 77,
    /// "hair drier"
    HairDrier = 78,
    /// "toothbrush"
    Toothbrush = 79,
}

impl CocoClass {
    /// Every class, in index order.
    pub const ALL: [CocoClass; 80] = [
        CocoClass::Person,
        CocoClass::Bicycle,
        CocoClass::Car,
        CocoClass::Motorcycle,
        CocoClass::Airplane,
        CocoClass::Bus,
        CocoClass::Train,
        CocoClass::Truck,
        CocoClass::Boat,
        CocoClass::TrafficLight,
        CocoClass::FireHydrant,
        CocoClass::StopSign,
        CocoClass::ParkingMeter,
        CocoClass::Bench,
        CocoClass::Bird,
        CocoClass::Cat,
        CocoClass::Dog,
        CocoClass::Horse,
        CocoClass::Sheep,
        CocoClass::Cow,
        CocoClass::Elephant,
        CocoClass::Bear,
        CocoClass::Zebra,
        CocoClass::Giraffe,
        CocoClass::Backpack,
        CocoClass::Umbrella,
        CocoClass::Handbag,
        CocoClass::Tie,
        CocoClass::Suitcase,
        CocoClass::Frisbee,
        CocoClass::Skis,
        CocoClass::Snowboard,
        CocoClass::SportsBall,
        CocoClass::Kite,
        CocoClass::BaseballBat,
        CocoClass::BaseballGlove,
        CocoClass::Skateboard,
        CocoClass::Surfboard,
        CocoClass::TennisRacket,
        CocoClass::Bottle,
        CocoClass::WineGlass,
        CocoClass::Cup,
        CocoClass::Fork,
        CocoClass::Knife,
        CocoClass::Spoon,
        CocoClass::Bowl,
        CocoClass::Banana,
        CocoClass::Apple,
        CocoClass::Sandwich,
        CocoClass::Orange,
        CocoClass::Broccoli,
        CocoClass::Carrot,
        CocoClass::HotDog,
        CocoClass::Pizza,
        CocoClass::Donut,
        CocoClass::Cake,
        CocoClass::Chair,
        CocoClass::Couch,
        CocoClass::PottedPlant,
        CocoClass::Bed,
        CocoClass::DiningTable,
        CocoClass::Toilet,
        CocoClass::Tv,
        CocoClass::Laptop,
        CocoClass::Mouse,
        CocoClass::Remote,
        CocoClass::Keyboard,
        CocoClass::CellPhone,
        CocoClass::Microwave,
        CocoClass::Oven,
        CocoClass::Toaster,
        CocoClass::Sink,
        CocoClass::Refrigerator,
        CocoClass::Book,
        CocoClass::Clock,
        CocoClass::Vase,
        CocoClass::Scissors,
        CocoClass::TeddyBear,
        CocoClass::HairDrier,
        CocoClass::Toothbrush,
    ];

    /// Position in the network's class axis (0–79).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The class at a position of the network's class axis.
    pub fn from_index(index: usize) -> Option<CocoClass> {
        Self::ALL.get(index).copied()
    }

    /// Whether the class is a person or an animal (COCO's "person" and
    /// "animal" supercategories): something alive, which holds or covers
    /// other things rather than standing among them.
    pub fn is_person_or_animal(self) -> bool {
        matches!(
            self,
            CocoClass::Person
                | CocoClass::Bird
                | CocoClass::Cat
                | CocoClass::Dog
                | CocoClass::Horse
                | CocoClass::Sheep
                | CocoClass::Cow
                | CocoClass::Elephant
                | CocoClass::Bear
                | CocoClass::Zebra
                | CocoClass::Giraffe
        )
    }

    /// The COCO English name, e.g. `"potted plant"`.
    pub fn name(self) -> &'static str {
        NAMES[self.index()]
    }

    /// The class with the given COCO English name.
    pub fn from_name(name: &str) -> Option<CocoClass> {
        NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(Self::from_index)
    }
}

impl std::fmt::Display for CocoClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

const NAMES: [&str; 80] = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_names_and_variants_agree() {
        for (i, class) in CocoClass::ALL.iter().enumerate() {
            assert_eq!(class.index(), i);
            assert_eq!(CocoClass::from_index(i), Some(*class));
            assert_eq!(CocoClass::from_name(class.name()), Some(*class));
        }
        assert_eq!(CocoClass::from_index(80), None);
        assert_eq!(CocoClass::from_name("unicorn"), None);
    }

    #[test]
    fn known_positions() {
        assert_eq!(CocoClass::Person.index(), 0);
        assert_eq!(CocoClass::Cat.name(), "cat");
        assert_eq!(CocoClass::Cup.index(), 41);
        assert_eq!(CocoClass::DiningTable.to_string(), "dining table");
        assert_eq!(CocoClass::Toothbrush.index(), 79);
    }
}
