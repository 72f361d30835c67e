document.documentElement.dataset.deployed = "true";
