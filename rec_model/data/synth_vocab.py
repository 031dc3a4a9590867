"""Topic vocabularies and item texts of the synthetic data set.

Twenty topics with 15 English words each, so a pretrained text encoder sees items of
one topic as related. Past 20 topics, extra topics get pronounceable pseudo-words.
"""

import numpy as np

BASE_TOPICS: dict[str, tuple[str, ...]] = {
    "space": ("galaxy", "rocket", "orbit", "planet", "astronaut", "comet", "nebula", "star",
              "moon", "asteroid", "launch", "cosmos", "satellite", "gravity", "eclipse"),
    "cooking": ("recipe", "kitchen", "bread", "spice", "oven", "soup", "pasta", "chef",
                "garlic", "butter", "feast", "noodle", "pastry", "grill", "flavor"),
    "sports": ("football", "goal", "stadium", "coach", "team", "league", "tennis", "sprint",
               "match", "trophy", "referee", "season", "striker", "marathon", "champion"),
    "music": ("guitar", "melody", "concert", "piano", "rhythm", "song", "drum", "singer",
              "chorus", "violin", "album", "band", "jazz", "harmony", "orchestra"),
    "crime": ("detective", "murder", "heist", "police", "gangster", "clue", "prison", "suspect",
              "robbery", "witness", "alibi", "mafia", "verdict", "smuggler", "forensic"),
    "romance": ("love", "kiss", "wedding", "heart", "romance", "couple", "letter", "bride",
                "passion", "valentine", "sweetheart", "affair", "proposal", "honeymoon",
                "embrace"),
    "war": ("soldier", "battle", "army", "tank", "general", "trench", "invasion", "rifle",
            "regiment", "sniper", "frontline", "bomber", "platoon", "siege", "veteran"),
    "horror": ("ghost", "vampire", "zombie", "haunted", "curse", "demon", "scream", "witch",
               "graveyard", "monster", "nightmare", "skull", "blood", "coffin", "possession"),
    "nature": ("forest", "river", "mountain", "wildlife", "ocean", "desert", "glacier", "jungle",
               "meadow", "volcano", "canyon", "waterfall", "prairie", "island", "reef"),
    "history": ("empire", "pharaoh", "castle", "knight", "kingdom", "dynasty", "revolution",
                "medieval", "emperor", "crusade", "pyramid", "viking", "chronicle", "throne",
                "legion"),
    "technology": ("computer", "robot", "software", "internet", "algorithm", "startup", "chip",
                   "network", "laptop", "code", "digital", "server", "gadget", "hacker", "data"),
    "finance": ("stock", "bank", "market", "investor", "dollar", "profit", "loan", "trader",
                "budget", "wealth", "currency", "dividend", "auction", "mortgage", "fortune"),
    "travel": ("journey", "passport", "airport", "hotel", "voyage", "map", "backpack", "cruise",
               "train", "tourist", "luggage", "safari", "road", "vacation", "harbor"),
    "comedy": ("joke", "laugh", "clown", "prank", "sitcom", "parody", "goofy", "blunder", "gag",
               "satire", "slapstick", "hilarious", "farce", "giggle", "comedian"),
    "animals": ("dog", "cat", "horse", "puppy", "tiger", "elephant", "parrot", "dolphin", "wolf",
                "rabbit", "lion", "kitten", "bear", "eagle", "penguin"),
    "medicine": ("doctor", "hospital", "nurse", "surgery", "virus", "patient", "vaccine", "clinic",
                 "medicine", "diagnosis", "surgeon", "fever", "therapy", "pharmacy", "cure"),
    "fantasy": ("dragon", "wizard", "sword", "elf", "magic", "quest", "sorcerer", "potion",
                "kingdom", "fairy", "enchanted", "troll", "prophecy", "spell", "unicorn"),
    "family": ("mother", "father", "child", "grandma", "sister", "brother", "home", "birthday",
               "holiday", "baby", "school", "parent", "cousin", "picnic", "bedtime"),
    "politics": ("election", "senator", "president", "parliament", "campaign", "vote", "minister",
                 "law", "debate", "scandal", "diplomat", "policy", "congress", "treaty", "mayor"),
    "art": ("painting", "museum", "sculpture", "canvas", "gallery", "portrait", "artist", "brush",
            "poetry", "theater", "dance", "ballet", "novel", "poet", "studio"),
}
WORDS_PER_TOPIC = 15
_SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "vo", "shi", "ban", "del", "ix", "qua", "zor",
              "pel", "mun", "tra", "gor", "fen", "li", "sa", "dro")


def topic_vocabulary(n_topics: int, seed: int) -> tuple[list[str], list[tuple[str, ...]]]:
    """Topic names and word lists (`WORDS_PER_TOPIC` words each), deterministic in `seed`."""
    names, vocab = list(BASE_TOPICS)[:n_topics], list(BASE_TOPICS.values())[:n_topics]
    rng = np.random.default_rng([seed, 1])
    while len(names) < n_topics:
        k = len(names)
        names.append(f"topic{k}")
        words = set()
        while len(words) < WORDS_PER_TOPIC:
            words.add("".join(rng.choice(_SYLLABLES, size=rng.integers(2, 4))))
        vocab.append(tuple(sorted(words)))
    return names, vocab


def item_texts(item_topics: np.ndarray, names: list[str], vocab: list[tuple[str, ...]],
               rng: np.random.Generator, on_topic: float = 0.85) -> list[tuple[str, str, str]]:
    """Title, genres and description per item.

    Args:
        item_topics: int `[n_items]` topic of each item.
        names: Topic names (the genres column).
        vocab: Word list per topic.
        rng: Random generator (consumed deterministically).
        on_topic: Probability that a word comes from the item's own topic.

    Returns:
        `[(title, genres, description)]`; title = 2-4 words + serial number,
        description = 6-10 words.
    """
    n = len(item_topics)
    n_topics = len(names)
    words = np.array([w for ws in vocab for w in ws], dtype=object)
    n_title = rng.integers(2, 5, size=n)
    n_desc = rng.integers(6, 11, size=n)
    width = 14  # 4 title words + 10 description words.
    stray = rng.random((n, width)) >= on_topic
    topics = np.where(stray, rng.integers(0, n_topics, size=(n, width)), item_topics[:, None])
    picks = words[topics * WORDS_PER_TOPIC + rng.integers(0, WORDS_PER_TOPIC, size=(n, width))]
    out = []
    for j in range(n):
        row = picks[j]
        title = " ".join(row[: n_title[j]]).title() + f" {j}"
        description = " ".join(row[4: 4 + n_desc[j]]).capitalize() + "."
        out.append((title, names[item_topics[j]], description))
    return out
