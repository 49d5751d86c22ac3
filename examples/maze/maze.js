// A small fuzz target: walks a maze of rooms by an input string of moves
// (N, S, E, W, and T to take what lies on the floor). Each room and each door is
// its own branch, so an input that reaches a new room reaches new PCs: the
// coverage feedback a fuzzer climbs (see fuzz.js).
"use strict";

function walk(moves) {
  let room = "gate";
  let hasKey = false;
  let hasLamp = false;
  for (const move of moves) {
    switch (room) {
      case "gate":
        if (move === "N") room = hasLamp ? "lit hall" : "dark hall";
        else if (move === "E") room = "shed";
        else return "walked into the gate's wall";
        break;
      case "shed":
        if (move === "T") hasLamp = true;
        else if (move === "W") room = "gate";
        else return "stumbled in the shed";
        break;
      case "dark hall":
        if (move === "S") room = "gate";
        else return "too dark to go on";
        break;
      case "lit hall":
        if (move === "N") {
          room = "library";
        } else if (move === "S") {
          room = "gate";
        } else {
          return "walked into the hall's wall";
        }
        break;
      case "library":
        if (move === "T") hasKey = true;
        else if (move === "E" && hasKey) room = "vault";
        else if (move === "E") return "the vault is locked";
        else if (move === "S") room = "hall";
        else return "lost among the shelves";
        break;
      case "vault":
        return "found the treasure";
    }
  }
  return room === "vault" ? "found the treasure" : `stopped in the ${room}`;
}

module.exports = { walk };

if (require.main === module) {
  console.log(walk(process.argv[2] ?? ""));
}
