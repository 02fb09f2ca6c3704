"""Name pools for the demo's fictional people. Any resemblance to real persons is coincidental."""

FIRST_NAMES = [
    "Aaliyah", "Abdul", "Ada", "Adrian", "Aisha", "Akira", "Alejandro", "Alicia", "Amara", "Amir", "Ana", "Andre",
    "Angela", "Anika", "Arjun", "Ava", "Beatriz", "Ben", "Bianca", "Carlos", "Carmen", "Chen", "Chidi", "Chloe",
    "Dana", "Daniel", "Deepa", "Diego", "Dmitri", "Elena", "Elif", "Emeka", "Emily", "Emma", "Esther", "Fatima",
    "Felix", "Fiona", "Gabriel", "Grace", "Hana", "Hannah", "Hassan", "Ines", "Isaac", "Isabel", "Ivan", "Jamal",
    "James", "Jasmine", "Javier", "Jin", "Joanna", "Jonah", "Jose", "Julia", "Kai", "Kamala", "Kenji", "Keisha",
    "Kofi", "Laila", "Lars", "Leah", "Leila", "Liam", "Lucia", "Luis", "Maya", "Marco", "Maria", "Mariam", "Mateo",
    "Mei", "Miguel", "Mina", "Nadia", "Naomi", "Nathan", "Nia", "Nikhil", "Noah", "Nora", "Olivia", "Omar",
    "Pablo", "Priya", "Rafael", "Rana", "Rashid", "Rebecca", "Rosa", "Ruth", "Samir", "Sara", "Sean", "Sofia",
    "Soo-jin", "Tariq", "Tomas", "Uma", "Valentina", "Victor", "Wei", "Yara", "Yusuf", "Zainab", "Zoe",
]

LAST_NAMES = [
    "Abara", "Acheampong", "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brennan", "Castillo",
    "Chandra", "Chen", "Costa", "Dang", "Delgado", "Diallo", "Dubois", "Eriksen", "Fernandes", "Fischer", "Flores",
    "Gallagher", "Garcia", "Goldberg", "Gomez", "Gupta", "Haddad", "Hansen", "Hernandez", "Hoang", "Ibrahim",
    "Ivanova", "Jackson", "Jensen", "Johansson", "Kaur", "Kim", "Kowalski", "Kumar", "Lambert", "Larsen", "Lee",
    "Lindqvist", "Lopez", "Mahmoud", "Martin", "Mbeki", "Mendoza", "Moreau", "Murphy", "Nakamura", "Nguyen",
    "Novak", "Nowak", "O'Brien", "Okafor", "Okonkwo", "Olsen", "Ortiz", "Park", "Patel", "Petrov", "Popescu",
    "Quinn", "Ramirez", "Rao", "Reyes", "Rivera", "Rossi", "Sato", "Schmidt", "Shah", "Silva", "Singh", "Sokolov",
    "Suzuki", "Tanaka", "Taylor", "Thompson", "Torres", "Tran", "Usman", "Vargas", "Vasquez", "Walsh", "Wang",
    "Weber", "Williams", "Wilson", "Wong", "Yamamoto", "Yilmaz", "Young", "Zhang", "Zimmermann",
]
